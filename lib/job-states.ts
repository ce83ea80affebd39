import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Stack } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';

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
