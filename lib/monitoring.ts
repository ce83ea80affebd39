import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { type RemovalPolicy, Stack } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { areaPrefix, FIREHOSE_ERRORS_PREFIX } from '../domain/contract/lake-areas';
import { METRICS_NAMESPACE } from '../domain/contract/metrics';
import { PipelineDashboard } from './monitoring/pipeline-dashboard';
import { FIVE_MINUTES, PipelineMetrics } from './monitoring/pipeline-metrics';

/** 429s (fair share) as a share of requests over 15 minutes that pages: a customer held back for long. */
const RATE_LIMITED_ALARM_PERCENT = 10;

/** One Kinesis → Firehose pair, as the alarms see it. */
interface DeliveryShardSources {
  readonly stream?: kinesis.IStream | undefined;
  readonly deliveryStreamName: string;
}

/** Alarm thresholds: each a stack setting with a documented default (README, docs/operations.md). */
export interface AlarmThresholds {
  /** API 5xx answers as a percentage of requests, over 5 minutes. */
  readonly serverErrorRatePercent: number;
  /** Oldest record waiting in Firehose (s) before S3 delivery counts as late. */
  readonly freshnessSeconds: number;
  /** The stream's active-partition quota, and the share of it that raises the alarm. */
  readonly activePartitionQuota: number;
  readonly activePartitionAlarmPercent: number;
  /** Quarantined messages as a percentage of all messages, over 15 minutes. */
  readonly quarantineRatePercent: number;
}

export interface MonitoringProps {
  readonly api: apigwv2.HttpApi;
  readonly ingest: lambda.IFunction;
  readonly authorizer: lambda.IFunction;
  /** The delivery shards, shard 0 first: each gets its own Kinesis and Firehose alarms. */
  readonly shards: readonly DeliveryShardSources[];
  /** The lake bucket: any object Firehose writes under `errors/` raises an alarm. */
  readonly lake: s3.Bucket;
  readonly thresholds: AlarmThresholds;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string | undefined;
  /** What happens to the alarm topic's key when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The pipeline end to end on one dashboard, and the alarms that page: API 5xx rate, sink budget
 * exhausted, Kinesis throttling, Firehose delivery failing or late, partitions near the quota or over
 * it, and a jump in the quarantine rate. Runbook per alarm: docs/operations.md.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** The pipeline's metrics (shard 0's stream and Firehose), for the alarms added after construction. */
  private readonly metrics: PipelineMetrics;
  /**
   * An alarm on a metric nothing publishes, so it never fires by itself: `npm run smoke` sets its state to
   * ALARM and back, and reads from its history that CloudWatch delivered the action to the topic — the
   * real path (CloudWatch → the KMS key → SNS), not a publish with the operator's own credentials.
   */
  readonly alarmPathCheck: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const t = props.thresholds;
    // CloudWatch can publish to an encrypted topic only with a customer-managed key whose policy lets
    // cloudwatch.amazonaws.com use it; with the AWS-managed alias/aws/sns key every alarm fires into
    // nothing (SNS developer guide, "Enable compatibility between event sources and encrypted topics").
    this.key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic; CloudWatch alarms of this account may use it to publish',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: 'Segment lake destination alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, so with only enforceSSL's deny nothing may publish:
    // every alarm would fire into nothing ("no resource-based policy allows the SNS:Publish action").
    // CloudWatch may publish for this stack's alarms, and EventBridge for its rules, each only from this
    // account and for the source named (the confused-deputy conditions of the SNS developer guide,
    // "Example cases for Amazon SNS access control"). test/lib/segment-lake-stack/service-paths.test.ts evaluates it.
    const { account, partition, region, stackName: stack } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisStack',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          // CloudFormation names an alarm <stack>-<logical id>-<suffix>.
          ArnLike: {
            'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${stack}-*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeRulesPublish',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const stackName = Stack.of(this).stackName;
    this.alarmPathCheck = new cloudwatch.Alarm(this, 'AlarmPathCheck', {
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'AlarmPathCheck',
        dimensionsMap: { stack: stackName },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'Set to ALARM by npm run smoke to prove alarms reach the topic; never fires by itself. Runbook: docs/operations.md#alarmpathcheck',
    });
    this.alarmPathCheck.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarmPathCheck.addOkAction(new actions.SnsAction(this.topic));
    const m = new PipelineMetrics({ api: props.api, stackName, ...props.shards[0]! });
    this.metrics = m;
    this.alarm(
      'ServerErrorRate',
      m.serverErrorRate(),
      t.serverErrorRatePercent,
      `More than ${t.serverErrorRatePercent}% of API requests answered 5xx over 5 minutes (Segment retries them).`,
    );
    this.alarm(
      'SinkBudgetExhausted',
      m.ours('SinkBudgetExhausted', 'ingest'),
      1,
      'Kinesis/Firehose did not take records within the retry budget: requests were answered 503.',
    );
    // Shard 0's alarms keep the ids of the single pipeline of earlier releases; shard n's end in `Shard<n>`.
    for (const [n, shard] of props.shards.entries()) {
      const metrics = n === 0 ? m : new PipelineMetrics({ api: props.api, stackName, ...shard });
      this.shardAlarms(metrics, n === 0 ? '' : `Shard${n}`, t);
    }

    // Any object in Firehose's error output, whatever the error type: the lake bucket sends object-created
    // events to EventBridge (LakeBucket), a rule matches the errors/ prefix, and the rule's own
    // MatchedEvents metric raises the alarm.
    const errorOutput = new events.Rule(this, 'ErrorOutputRule', {
      description: 'Firehose wrote records it could not deliver under errors/ in the lake bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.lake.bucketName] },
          object: { key: [{ prefix: areaPrefix(FIREHOSE_ERRORS_PREFIX) }] },
        },
      },
    });
    // Each object names where the records are: one notification per object, to the alarm topic, with the
    // key and the runbook (the alarm below pages once; this says what to redrive).
    // Not targets.SnsTopic: it grants events.amazonaws.com Publish with no condition; the grant below names
    // this rule.
    errorOutput.addTarget({
      bind: () => ({
        arn: this.topic.topicArn,
        input: events.RuleTargetInput.fromText(
          `Firehose wrote undeliverable records to s3://${events.EventField.fromPath('$.detail.bucket.name')}/${events.EventField.fromPath('$.detail.object.key')} — nothing is lost; redrive them (docs/operations.md#erroroutputwritten).`,
        ),
      }),
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ErrorOutputRule',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnEquals: { 'aws:SourceArn': errorOutput.ruleArn },
        },
      }),
    );
    this.alarm(
      'ErrorOutputWritten',
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'MatchedEvents',
        dimensionsMap: { RuleName: errorOutput.ruleName },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      1,
      'Firehose wrote records to errors/ (undeliverable or unpartitionable): nothing is lost, but they need a redrive.',
    );
    // The fair share's count could not be read: requests are admitted without it (fail open), so one
    // customer's Replay may again take everyone's capacity. Three periods: a single slow read is no page.
    this.alarm(
      'FairShareUnavailable',
      m.ours('FairShareUnavailable', 'ingest'),
      1,
      'The fair-share table could not be read: requests were admitted without a per-customer limit.',
      3,
    );
    this.alarm(
      'RateLimitedRate',
      m.rateLimitedRate(),
      RATE_LIMITED_ALARM_PERCENT,
      `More than ${RATE_LIMITED_ALARM_PERCENT}% of requests answered 429 (fair share) over 15 minutes: a customer sends above fairShareEventsPerSecond; Segment resends, but its data is late.`,
    );
    this.alarm(
      'QuarantineRate',
      m.quarantineRate(),
      t.quarantineRatePercent,
      `More than ${t.quarantineRatePercent}% of messages quarantined over 15 minutes: a customer's payloads changed?`,
    );

    this.dashboard = new PipelineDashboard(this, 'Pipeline', {
      metrics: m,
      ingest: props.ingest,
      hasStream: props.shards[0]!.stream !== undefined,
    }).dashboard;
  }

  /** The alarms of one Kinesis → Firehose pair. */
  private shardAlarms(m: PipelineMetrics, suffix: string, t: AlarmThresholds): void {
    const of = suffix ? ` (delivery shard ${suffix.slice('Shard'.length)})` : '';
    const throttled = m.kinesis('WriteProvisionedThroughputExceeded');
    if (throttled) {
      this.alarm(
        'KinesisThrottling',
        throttled,
        1,
        `Kinesis refused writes for throughput${of}: requests are answered 503 with Retry-After and Segment resends; sustained, it needs capacity.`,
        3,
        undefined,
        suffix,
      );
    }
    // Firehose reads the stream as a consumer; records it has not read age in the stream, which keeps
    // them only streamRetentionHours. Past the freshness threshold for 15 minutes, delivery is behind.
    const iteratorAge = m.kinesis('GetRecords.IteratorAgeMilliseconds', 'Maximum');
    if (iteratorAge) {
      this.alarm(
        'FirehoseBehindKinesis',
        iteratorAge,
        t.freshnessSeconds * 1000,
        `Firehose${of} has not read records older than ${t.freshnessSeconds} s from the stream; the stream keeps them only for its retention.`,
        3,
        undefined,
        suffix,
      );
    }
    this.alarm(
      'DeliveryFailing',
      m.firehose('DeliveryToS3.Success', 'Average'),
      1,
      `Firehose failed to deliver to S3${of}: records are retried, then written to errors/.`,
      3,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      suffix,
    );
    this.alarm(
      'DeliveryLate',
      m.firehose('DeliveryToS3.DataFreshness', 'Maximum'),
      t.freshnessSeconds,
      `The oldest record in Firehose${of} is older than ${t.freshnessSeconds} s.`,
      3,
      undefined,
      suffix,
    );
    this.alarm(
      'PartitionQuotaExceeded',
      m.firehose('PartitionCountExceeded', 'Maximum'),
      1,
      `More active partitions than the quota${of}: records go to errors/activePartitionExceeded/ and must be redriven.`,
      1,
      undefined,
      suffix,
    );
    this.alarm(
      'PartitionsNearQuota',
      m.firehose('PartitionCount', 'Maximum'),
      Math.floor((t.activePartitionQuota * t.activePartitionAlarmPercent) / 100),
      `Active partitions above ${t.activePartitionAlarmPercent}% of the quota (${t.activePartitionQuota})${of}.`,
      1,
      undefined,
      suffix,
    );
  }

  /**
   * A scheduled job pages when an execution fails, times out or is aborted: nothing else would say that
   * the curated table or the scores stopped moving.
   */
  watchJob(id: string, machine: sfn.IStateMachine, what: string): void {
    const metric = (name: string) => machine.metric(name, { statistic: 'Sum', period: FIVE_MINUTES });
    this.alarm(
      id,
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: metric('ExecutionsFailed'),
          timedOut: metric('ExecutionsTimedOut'),
          aborted: metric('ExecutionsAborted'),
        },
        label: `${what}: failed, timed-out or aborted executions`,
        period: FIVE_MINUTES,
      }),
      1,
      `${what} failed: an execution failed, timed out or was aborted.`,
    );
  }

  /** An alarm made elsewhere (a deployment's rollback alarms) notifies the topic like ours. */
  notify(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
  }

  /**
   * The oldest Segment `delete` still pending, as the erase steps publish it each hourly run: past three
   * quarters of the erase window, the window (a promise to customers, docs/privacy.md) is at risk.
   */
  watchOldestPendingDelete(windowHours: number): void {
    const seconds = Math.round(windowHours * 3600 * 0.75);
    this.alarm(
      'OldestPendingDelete',
      this.metrics.ours('OldestPendingDeleteSeconds', 'erasure', FIVE_MINUTES, 'Maximum'),
      seconds,
      `A Segment delete has been pending for more than ${seconds / 3600} h of the ${windowHours} h erase window.`,
    );
  }

  /** A dead-letter queue pages as soon as anything reaches it: the end of the line for its messages. */
  watchDeadLetters(id: string, queue: sqs.IQueue, what: string): void {
    this.alarm(
      id,
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
      1,
      `${what}: messages in the dead-letter queue.`,
    );
  }

  /** A queue whose oldest message is older than `seconds` means its consumer fell behind. */
  watchQueueAge(id: string, queue: sqs.IQueue, seconds: number, what: string): void {
    this.alarm(
      id,
      queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES }),
      seconds,
      `${what}: the oldest message is more than ${seconds / 3600} h old.`,
      3,
    );
  }

  /** Errors and throttles of a function whose failure delays or loses data, alarmed and graphed. */
  watchFunction(id: string, fn: lambda.IFunction, what: string): void {
    const errors = fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES });
    const throttles = fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES });
    this.alarm(`${id}Errors`, errors, 1, `${what}: the function failed.`);
    this.alarm(`${id}Throttles`, throttles, 1, `${what}: the function was throttled.`);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${what}: errors and throttles`,
        left: [errors, throttles],
        width: 8,
      }),
    );
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    description: string,
    evaluationPeriods = 1,
    comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    /** `Shard<n>` for the alarms of delivery shard n > 0; the runbook entry is the same. */
    suffix = '',
  ): void {
    const alarm = new cloudwatch.Alarm(this, `${id}${suffix}`, {
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${description} Runbook: docs/operations.md#${id.toLowerCase()}`,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms[`${id}${suffix}`] = alarm;
  }
}
