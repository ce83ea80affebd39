import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoTokenStore } from '../../adapters/aws/dynamo-token-store';
import { powertoolsLogger } from '../../adapters/aws/powertools-logger';
import { systemClock } from '../../adapters/system/clock';
import { DeployCheckEnvSchema } from '../../domain/contract/environment';
import { readEnv } from '../../domain/core/common/read-env';
import { createDeployCheckHandler } from './create-deploy-check-handler';

const env = readEnv(DeployCheckEnvSchema, process.env);
const lambda = new LambdaClient({});
const codedeploy = new CodeDeployClient({});

/** Invokes one version of a function (its ARN names the version) and parses its answer. */
async function invoke<T>(versionArn: string, event: unknown): Promise<T> {
  const answer = await lambda.send(
    new InvokeCommand({ FunctionName: versionArn, Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = Buffer.from(answer.Payload ?? []).toString('utf8');
  if (answer.FunctionError) throw new Error(`${versionArn} failed: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The pre-traffic hook's composition root: the versions this deployment is about to shift to. */
export const handler = createDeployCheckHandler({
  tokens: new DynamoTokenStore(new DynamoDBClient({}), env.TOKENS_TABLE),
  phase: env.CHECK_PHASE,
  post: async (path, init) => {
    const answer = await fetch(`${env.ENDPOINT_URL}${path}`, { method: 'POST', ...init });
    return { status: answer.status };
  },
  versions: {
    authorize: (event) => invoke(env.AUTHORIZER_VERSION, event),
    ingest: (event) => invoke(env.INGEST_VERSION, event),
  },
  report: async (deploymentId, lifecycleEventHookExecutionId, status) => {
    await codedeploy.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId,
        lifecycleEventHookExecutionId,
        status,
      }),
    );
  },
  clock: systemClock,
  logger: powertoolsLogger('deploy-check').logger,
});
