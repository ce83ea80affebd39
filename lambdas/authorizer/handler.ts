import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as v from 'valibot';
import { requestPathClientConfig } from '../adapters/aws/clients';
import { DynamoTokenStore } from '../adapters/aws/dynamo-token-store';
import { powertoolsMetrics } from '../adapters/aws/powertools-metrics';
import { jsonLogger, systemClock } from '../core/ports';
import { readEnv } from '../core/read-env';
import { createAuthorizerHandler } from './create-authorizer-handler';

const AuthorizerEnv = v.object({ TOKENS_TABLE: v.pipe(v.string(), v.minLength(1)) });

/** The deployed authorizer: its composition root. Configuration is checked once, at cold start. */
export const handler = createAuthorizerHandler({
  tokens: new DynamoTokenStore(
    new DynamoDBClient(requestPathClientConfig()),
    readEnv(AuthorizerEnv, process.env).TOKENS_TABLE,
  ),
  logger: jsonLogger('authorizer'),
  clock: systemClock,
  metrics: powertoolsMetrics('authorizer'),
});
