import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';

/**
 * The stack's jobs — compaction, erasure and its VACUUM, intent scoring, audiences, the weekly refresh —
 * are each a JSONata state machine with its own log group, and three of them are started by a schedule
 * with a dead-letter queue. These two functions are that pattern, written once. They add their
 * resources to the caller's scope under the ids the jobs always had ('Logs', 'StateMachine',
 * 'ScheduleDeadLetters', and the schedule's), so no logical id moves (test/lib/segment-lake-stack/logical-ids.test.ts).
 */
export interface JobMachineProps {
  definition: sfn.IChainable;
  /** A bound on one execution, from what its steps may take (stated at each job). */
  timeout: Duration;
  comment: string;
  stateMachineName?: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * A job's state machine: traced, every state logged to its own log group, never the execution data
 * (which may carry the statements and the users they name).
 */
export function jobStateMachine(scope: Construct, props: JobMachineProps): sfn.StateMachine {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  return new sfn.StateMachine(scope, 'StateMachine', {
    ...(props.stateMachineName ? { stateMachineName: props.stateMachineName } : {}),
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    queryLanguage: sfn.QueryLanguage.JSONATA,
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    comment: props.comment,
  });
}

export interface JobScheduleProps {
  /** The schedule's construct id ('Hourly', 'Weekly'). */
  id: string;
  machine: sfn.IStateMachine;
  schedule: scheduler.ScheduleExpression;
  description: string;
  /** Who the dead-letter queue's messages reach, for cdk-nag's SQS3 acknowledgement. */
  deadLetterReason: string;
}

/**
 * The schedule that starts a job with an empty input: two retries by EventBridge Scheduler, then its own
 * dead-letter queue (SSL only, SQS-managed encryption, 14 days), which alarms (lib/monitoring.ts).
 */
export function scheduleJob(
  scope: Construct,
  props: JobScheduleProps,
): { schedule: scheduler.Schedule; deadLetters: sqs.Queue } {
  const deadLetters = new sqs.Queue(scope, 'ScheduleDeadLetters', {
    retentionPeriod: Duration.days(14),
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
  });
  const schedule = new scheduler.Schedule(scope, props.id, {
    schedule: props.schedule,
    target: new targets.StepFunctionsStartExecution(props.machine, {
      input: scheduler.ScheduleTargetInput.fromObject({}),
      retryAttempts: 2,
      deadLetterQueue: deadLetters,
    }),
    description: props.description,
  });
  Validations.of(deadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: props.deadLetterReason });
  return { schedule, deadLetters };
}
