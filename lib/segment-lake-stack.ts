import type * as logs from 'aws-cdk-lib/aws-logs';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import { writeKeySecretPrefix } from '../domain/contract/audiences';
import type { IngestEnvironment } from '../domain/contract/environment';
import { STACK_OUTPUTS } from '../domain/contract/stack-outputs';
import { AdminApi } from './admin-api';
import { CAPACITY_METADATA, capacityMetadata } from './capacity-metadata';
import type { StackConfig } from './config';
import { CuratedCompaction } from './curated-compaction';
import { DeliveryPipeline } from './delivery-pipeline';
import { IngestApi } from './ingest-api';
import { IntentScoring } from './intent-scoring';
import { JobLease } from './job-lease';
import { LakeBucket, oldVersionDays } from './lake-bucket';
import { LakeCatalog } from './lake-catalog';
import { Monitoring } from './monitoring';
import { PredictionAudiences } from './prediction-audiences';
import { PredictionRefresh } from './prediction-refresh';
import { RateLimitedEdge } from './rate-limited-edge';
import { SafeDeployment } from './safe-deployment';
import { StableEndpoint } from './stable-endpoint';
import { TokenTable } from './token-table';
import { UserErasure } from './user-erasure';

export interface SegmentLakeStackProps extends StackProps {
  readonly config: StackConfig;
}

/** The whole destination. This file only composes; each concern is its own construct. */
export class SegmentLakeStack extends Stack {
  readonly lake: LakeBucket;
  readonly tokens: TokenTable;
  /** Delivery shard 0. */
  readonly delivery: DeliveryPipeline;
  /** Every delivery shard (Kinesis → Firehose pair), shard 0 first. */
  readonly deliveries: DeliveryPipeline[];
  readonly ingestApi: IngestApi;
  readonly catalog: LakeCatalog;
  readonly admin: AdminApi;
  readonly monitoring: Monitoring;
  readonly compaction: CuratedCompaction;
  /** The lease the compaction and the erase pass share (lib/job-lease.ts). */
  readonly jobLease: JobLease;
  readonly intent: IntentScoring;
  readonly audiences: PredictionAudiences;
  readonly refresh: PredictionRefresh;
  readonly erasure: UserErasure;
  readonly deployment: SafeDeployment;
  readonly endpointUrl: string;

  constructor(scope: Construct, id: string, props: SegmentLakeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.lake = new LakeBucket(this, 'Lake', {
      removalPolicy,
      infrequentAccessAfterDays: config.lakeInfrequentAccessAfterDays,
      expireAfterDays: config.lakeExpireAfterDays,
      keepOldVersionsDays: oldVersionDays(config.eraseWindowHours),
    });
    this.tokens = new TokenTable(this, 'Tokens', {
      removalPolicy,
      maxCustomers: config.capacity.maxCustomers,
    });
    // The capacity as synthesized, for `npm run replay-sim`, which reads the template rather than a
    // second copy of the settings.
    this.templateOptions.metadata = { [CAPACITY_METADATA]: capacityMetadata(config) };
    // Shard 0 keeps the construct id (and so the logical ids) of the single pipeline of earlier releases.
    this.deliveries = Array.from(
      { length: config.capacity.deliveryShards },
      (_, shard) =>
        new DeliveryPipeline(this, shard === 0 ? 'Delivery' : `Delivery${shard}`, {
          lake: this.lake.bucket,
          delivery: config.delivery,
          bufferSeconds: config.firehoseBufferSeconds,
          bufferMiB: config.firehoseBufferMiB,
          streamRetentionHours: config.streamRetentionHours,
          streamShards: config.streamShards,
          logRetention,
          removalPolicy,
        }),
    );
    this.delivery = this.deliveries[0]!;
    this.ingestApi = new IngestApi(this, 'Ingest', {
      tokens: this.tokens,
      deliveries: this.deliveries,
      authorizerCacheTtl: Duration.seconds(config.authorizerCacheTtlSeconds),
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      // 0 reserves none: Lambda reads a reservation of 0 as "never run".
      authorizerReservedConcurrency: config.authorizerReservedConcurrency || undefined,
      fairShareEventsPerSecond: config.fairShareEventsPerSecond || undefined,
      provisionedConcurrency: config.provisionedConcurrency || undefined,
      disableExecuteApiEndpoint: config.disableExecuteApiEndpoint,
      logRetention,
      removalPolicy,
    });
    const endpoint = config.domainName
      ? new StableEndpoint(this, 'Endpoint', {
          api: this.ingestApi.api,
          stage: this.ingestApi.stage,
          domainName: config.domainName,
          certificateArn: config.certificateArn!,
          hostedZoneId: config.hostedZoneId,
        })
      : undefined;
    const edge =
      config.edgeRequestsPerKey > 0
        ? new RateLimitedEdge(this, 'Edge', {
            api: this.ingestApi.api,
            requestsPerKey: config.edgeRequestsPerKey,
            windowSeconds: config.edgeWindowSeconds,
          })
        : undefined;
    /** The URL Segment is given: the stable domain when there is one, else the edge's, else the API's. */
    this.endpointUrl = endpoint?.url ?? edge?.url ?? this.ingestApi.url;
    this.admin = new AdminApi(this, 'Onboarding', {
      api: this.ingestApi.api,
      endpointUrl: this.endpointUrl,
      tokens: this.tokens,
      segmentSlug: config.segmentSlug,
      maxCustomers: config.capacity.maxCustomers,
      enableRedirectUrl: config.enableRedirectUrl,
      logRetention,
      removalPolicy,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.ingestApi.api,
      ingest: this.ingestApi.ingest.function,
      authorizer: this.ingestApi.authorizer.function,
      shards: this.deliveries.map((d) => ({ stream: d.stream, deliveryStreamName: d.deliveryStream.ref })),
      lake: this.lake.bucket,
      alarmEmail: config.alarmEmail,
      removalPolicy,
      thresholds: {
        serverErrorRatePercent: config.alarmServerErrorRatePercent,
        freshnessSeconds: config.alarmFreshnessSeconds,
        activePartitionQuota: config.activePartitionQuota,
        activePartitionAlarmPercent: config.alarmActivePartitionPercent,
        quarantineRatePercent: config.alarmQuarantineRatePercent,
      },
    });
    this.catalog = new LakeCatalog(this, 'Catalog', {
      lake: this.lake.bucket,
      queryResults: this.lake.queryResults,
      bytesScannedCutoffGiB: config.athenaBytesScannedCutoffGiB,
    });

    // One lease item, nothing to keep: destroyed with the stack whatever the removal policy.
    this.jobLease = new JobLease(this, 'JobLease', { removalPolicy: RemovalPolicy.DESTROY });
    this.compaction = new CuratedCompaction(this, 'Curated', {
      lake: this.lake.bucket,
      queryResults: this.lake.queryResults,
      databaseName: this.catalog.databaseName,
      workGroupName: this.catalog.workGroup.ref,
      logRetention,
      removalPolicy,
      lease: this.jobLease,
    });

    this.erasure = new UserErasure(this, 'Erasure', {
      lake: this.lake.bucket,
      queryResults: this.lake.queryResults,
      databaseName: this.catalog.databaseName,
      workGroupName: this.catalog.workGroup.ref,
      windowHours: config.eraseWindowHours,
      lease: this.jobLease,
      logRetention,
      removalPolicy,
    });
    // Ingest records delete requests; the admin API lists them.
    const ingestFunction = this.ingestApi.ingest.function;
    const erasureEnv = {
      ERASURE_TABLE: this.erasure.table.tableName,
      AUDIT_KEY_SECRET: this.erasure.auditKey.secretArn,
      // The delete-request cache holds every customer's requests: it never thrashes at full load.
      MAX_CUSTOMERS: String(config.capacity.maxCustomers),
    } satisfies Partial<IngestEnvironment>;
    for (const [name, value] of Object.entries(erasureEnv)) ingestFunction.addEnvironment(name, value);
    this.erasure.grantRecord(ingestFunction);
    this.admin.admin.function.addEnvironment('ERASURE_TABLE', this.erasure.table.tableName);
    this.erasure.grantList(this.admin.admin.function);

    this.intent = new IntentScoring(this, 'Intent', {
      lake: this.lake.bucket,
      queryResults: this.lake.queryResults,
      databaseName: this.catalog.databaseName,
      workGroupName: this.catalog.workGroup.ref,
      logRetention,
      removalPolicy,
    });

    this.audiences = new PredictionAudiences(this, 'Audiences', {
      lake: this.lake.bucket,
      queryResults: this.lake.queryResults,
      databaseName: this.catalog.databaseName,
      workGroupName: this.catalog.workGroup.ref,
      segmentHost: config.segmentHost,
      writeKeySecretPrefix: writeKeySecretPrefix(this.stackName),
      logRetention,
      removalPolicy,
    });

    this.refresh = new PredictionRefresh(this, 'Refresh', {
      lake: this.lake.bucket,
      intent: this.intent.stateMachine,
      audiences: this.audiences.stateMachine,
      logRetention,
      removalPolicy,
    });

    this.deployment = new SafeDeployment(this, 'Deployment', {
      style: config.deploymentStyle,
      ingest: this.ingestApi.ingest,
      authorizer: this.ingestApi.authorizer,
      admin: this.admin.admin,
      tokens: this.tokens,
      endpointUrl: this.endpointUrl,
      logRetention,
      removalPolicy,
    });

    this.watchJobs(config);
    this.outputs();
  }

  /**
   * Every scheduled job and the queues and functions behind it page when they fail or fall behind; so
   * does a rollback.
   */
  private watchJobs(config: StackConfig): void {
    const m = this.monitoring;
    for (const alarm of this.deployment.rollbackAlarms) m.notify(alarm);
    m.watchJob('CompactionFailed', this.compaction.stateMachine, 'Curated compaction');
    m.watchJob('IntentFailed', this.intent.stateMachine, 'Intent scores');
    m.watchJob('AudiencesFailed', this.audiences.stateMachine, 'Audiences (build and sync to Segment)');
    m.watchJob('RefreshFailed', this.refresh.stateMachine, 'The weekly refresh of predictions and audiences');
    m.watchDeadLetters('RefreshNotStarted', this.refresh.scheduleDeadLetters, 'The weekly refresh schedule');
    m.watchFunction('RefreshPlan', this.refresh.plan.function, 'Refresh planning');
    m.watchFunction('AudienceBuild', this.audiences.build.function, 'Audience building');
    m.watchFunction('AudienceSend', this.audiences.send.function, 'Audience sync to Segment');
    m.watchJob('ErasureFailed', this.erasure.stateMachine, 'Segment delete requests (erase passes)');
    m.watchJob(
      'ErasureVacuumFailed',
      this.erasure.vacuumStateMachine,
      'The VACUUM after an erase pass (erased rows leaving the curated files)',
    );
    m.watchDeadLetters('ErasureNotStarted', this.erasure.scheduleDeadLetters, 'The hourly erase schedule');
    m.watchFunction('ErasureSteps', this.erasure.steps.function, 'Erase steps');
    m.watchOldestPendingDelete(config.eraseWindowHours);
    m.watchDeadLetters(
      'CompactionNotStarted',
      this.compaction.scheduleDeadLetters,
      'The hourly compaction schedule',
    );
    m.watchDeadLetters(
      'ObjectLogDeadLetters',
      this.compaction.objectLogDeadLetters,
      'The compaction object log',
    );
    // Live objects wait at most an hour for a run; two hours means the curated table is behind.
    m.watchQueueAge('CuratedBehind', this.compaction.objectLog, 2 * 3600, 'The compaction object log');
    m.watchFunction('CompactionSteps', this.compaction.steps.function, 'Compaction steps');
    m.watchFunction('IntentPlan', this.intent.plan.function, 'Intent planning');
    m.watchFunction('IntentScore', this.intent.score.function, 'Intent scoring');
    m.watchFunction('Authorizer', this.ingestApi.authorizer.function, 'Authorizer');
    m.watchFunction('Ingest', this.ingestApi.ingest.function, 'Ingest');
    m.watchFunction('Admin', this.admin.admin.function, 'Admin API (keys, enable links, deletions)');
  }

  /** What an operator, the commands and the smoke test read from the deployed stack (STACK_OUTPUTS). */
  private outputs(): void {
    new CfnOutput(this, STACK_OUTPUTS.endpointUrl, {
      value: this.endpointUrl,
      description: "Segment destination URL (the destination's endpoint)",
    });
    new CfnOutput(this, STACK_OUTPUTS.adminApiArn, {
      value: this.ingestApi.api.arnForExecuteApi('*', '/admin/*'),
      description: 'Grant your backend execute-api:Invoke on this to call the admin API (SigV4)',
    });
    new CfnOutput(this, STACK_OUTPUTS.tokensTable, {
      value: this.tokens.table.tableName,
      description: 'npm run tokens -- create --customer <id> --table <this>',
    });
    new CfnOutput(this, STACK_OUTPUTS.lakeBucket, { value: this.lake.bucket.bucketName });
    new CfnOutput(this, STACK_OUTPUTS.alarmTopic, {
      value: this.monitoring.topic.topicArn,
      description: 'Subscribe on-call to this topic',
    });
    new CfnOutput(this, STACK_OUTPUTS.dashboard, { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, STACK_OUTPUTS.alarmPathCheck, {
      value: this.monitoring.alarmPathCheck.alarmName,
      description: 'npm run smoke sets this alarm to ALARM to prove alarms reach the topic',
    });
    new CfnOutput(this, STACK_OUTPUTS.glueDatabase, { value: this.catalog.databaseName });
    new CfnOutput(this, STACK_OUTPUTS.compaction, {
      value: this.compaction.stateMachine.stateMachineArn,
      description: 'Hourly curated-table compaction from the object log (one run at a time; docs/lake.md)',
    });
    new CfnOutput(this, STACK_OUTPUTS.erasureTable, {
      value: this.erasure.table.tableName,
      description:
        'Segment delete requests and their audit (keyed hashes only once executed; docs/privacy.md)',
    });
    new CfnOutput(this, STACK_OUTPUTS.erasure, {
      value: this.erasure.stateMachine.stateMachineArn,
      description: 'Hourly erase passes: due delete requests executed, one customer at a time',
    });
    new CfnOutput(this, STACK_OUTPUTS.intent, {
      value: this.intent.stateMachine.stateMachineArn,
      description: 'Intent scores: start with {"customer": "<id>", "event": "signed_up"}',
    });
    new CfnOutput(this, STACK_OUTPUTS.audiences, {
      value: this.audiences.stateMachine.stateMachineArn,
      description:
        'Audiences of a customer: {"customer": "<id>"} refreshes and syncs; add "create": {"name", "event", "top", "holdout"} to create one',
    });
    new CfnOutput(this, STACK_OUTPUTS.refresh, {
      value: this.refresh.stateMachine.stateMachineArn,
      description:
        'Weekly refresh (Mondays 06:00 UTC): the saved predictions due, then every customer’s audiences',
    });
    new CfnOutput(this, STACK_OUTPUTS.athenaWorkGroup, { value: this.catalog.workGroup.ref });
    new CfnOutput(this, STACK_OUTPUTS.deliveryStream, { value: this.delivery.deliveryStream.ref });
    if (this.deliveries.length > 1)
      new CfnOutput(this, STACK_OUTPUTS.deliveryShards, {
        value: Fn.join(
          ',',
          this.deliveries.map((d) => d.stream?.streamName ?? d.deliveryStream.ref),
        ),
        description:
          'Every delivery shard, shard 0 first: npm run redrive -- --stream (or --delivery-stream) <this>',
      });
    if (this.delivery.stream)
      new CfnOutput(this, STACK_OUTPUTS.eventStream, { value: this.delivery.stream.streamName });
  }
}
