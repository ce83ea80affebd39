import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ArnFormat, Stack } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import { logicalRef, nagText } from './nag-text';

/**
 * The task states the stack's scheduled jobs (lib/curated-compaction.ts, lib/user-erasure.ts) are made
 * of, in Step Functions' JSONata mode, with the retries each service's errors deserve.
 */

/** An Athena statement, run to completion (`.sync`), in the lake's workgroup and database. */
export function athenaTask(
  scope: Construct,
  id: string,
  props: {
    queryString: string;
    workGroupName: string;
    databaseName: string;
    output?: Record<string, string> | string;
  },
): sfn.CustomState {
  return new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Stack.of(scope).partition}:states:::athena:startQueryExecution.sync`,
      Arguments: {
        QueryString: props.queryString,
        WorkGroup: props.workGroupName,
        QueryExecutionContext: { Database: props.databaseName },
      },
      Output: props.output ?? {},
      // Athena's throttling and a concurrent Iceberg commit are worth a retry; a bad statement is not.
      Retry: [
        {
          ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.AthenaException'],
          IntervalSeconds: 10,
          BackoffRate: 2,
          MaxAttempts: 5,
        },
      ],
    },
  });
}

/** One step of a job's function: invoked with `payload`, its answer shaped by `output`. */
export function lambdaStep(
  scope: Construct,
  id: string,
  fn: lambda.IFunction,
  payload: Record<string, unknown>,
  output: string,
): sfn.CustomState {
  return new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Stack.of(scope).partition}:states:::lambda:invoke`,
      Arguments: { FunctionName: fn.functionArn, Payload: payload },
      Output: output,
      Retry: [
        {
          ErrorEquals: [
            'Lambda.ServiceException',
            'Lambda.TooManyRequestsException',
            'Lambda.SdkClientException',
          ],
          IntervalSeconds: 5,
          BackoffRate: 2,
          MaxAttempts: 4,
        },
      ],
    },
  });
}

/**
 * The cdk-nag reasons every Distributed Map job's state machine shares: its child executions and map
 * runs (named at run time), any version of its steps function, and X-Ray and log deliveries.
 */
export function distributedMapJobReasons(
  stateMachine: sfn.StateMachine,
  steps: lambda.IFunction,
  stepsName: string,
): Record<string, string> {
  const stack = Stack.of(stateMachine);
  const executions = stack.formatArn({
    service: 'states',
    resource: 'execution',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    resourceName: stack.splitArn(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!,
  });
  const fn = logicalRef(steps);
  return {
    'Resource::*':
      'X-Ray trace segments and CloudWatch Logs vended log deliveries cannot be scoped to a resource (service authorization reference).',
    [`Resource::${nagText(stack.resolve(`${executions}:*`))}`]:
      "The Distributed Map's child executions of this state machine only (Describe and Stop), named at run time.",
    [`Resource::${nagText(stack.resolve(`${executions}/*:*`))}`]:
      "The Distributed Map's child runs (map runs) of this state machine only, named at run time.",
    [`Resource::<${fn}.Arn>:*`]: `Step Functions invokes the ${stepsName} function by any of its versions (lambda:InvokeFunction only).`,
  };
}

/**
 * A job's end: failed, naming the customers in the list variable `names` (a JSONata variable without
 * its `$`), when it holds any — so the job's failure alarm fires with them in the cause — else `otherwise`.
 */
export function failNamingAny(
  scope: Construct,
  props: { choiceId: string; failId: string; names: string; error: string; cause: string; suffix?: string },
  otherwise: sfn.IChainable,
): sfn.Choice {
  const list = `$${props.names}`;
  return sfn.Choice.jsonata(scope, props.choiceId)
    .when(
      sfn.Condition.jsonata(`{% $count(${list}) > 0 %}`),
      sfn.Fail.jsonata(scope, props.failId, {
        error: props.error,
        cause: `{% ${JSON.stringify(props.cause)} & $join(${list}, ', ')${props.suffix ? ` & ${JSON.stringify(props.suffix)}` : ''} %}`,
      }),
    )
    .otherwise(otherwise);
}
