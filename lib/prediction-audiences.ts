import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import {
  AUDIENCE_COLUMNS,
  AUDIENCE_PARTITIONS,
  AUDIENCE_SYNC_RUNS_PREFIX,
  AUDIENCE_SYNC_STATE_PREFIX,
  AUDIENCES_AREA,
  AUDIENCES_TABLE,
} from '../domain/contract/audiences';
import { CURATED_PREFIX, INTENT_REPORTS_PREFIX, SCORES_AREA } from '../domain/contract/curated-table';
import type { AudienceEnvironment } from '../domain/contract/environment';
import { HouseFunction } from './house-function';
import { distributedMapJobReasons } from './job-states';
import { acknowledgeWildcards, logicalRef, nagText } from './nag-text';
import { parquetTable } from './parquet-table';
import { jobStateMachine } from './scheduled-job';

export interface PredictionAudiencesProps {
  readonly lake: s3.IBucket;
  readonly queryResults: s3.IBucket;
  readonly databaseName: string;
  readonly workGroupName: string;
  /** Segment's HTTP Tracking API: the US endpoint unless the customers' workspaces are in the EU. */
  readonly segmentHost: string;
  /** Secrets Manager names of the write keys: `<prefix><customer>`. */
  readonly writeKeySecretPrefix: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Child executions the sending Map runs at once. Each sends its batches one after another, waiting for
 * each answer, so at most five requests are in flight to a customer's Segment source; Segment's HTTP API
 * sets no hard rate limit and answers 429 with Retry-After when it wants fewer, which the sender honours
 * (adapters/segment/tracking-api.ts).
 *
 * @internal
 */
export const SYNC_MAX_CONCURRENCY = 5;

/**
 * Audiences on AWS, as `npm run audience` runs them locally: the `audiences` table (Parquet, partitions
 * projected); a state machine per customer run — build and measure every audience in Athena, then send
 * the users whose traits changed to Segment through a Distributed Map, then record what was sent. The
 * weekly refresh (lib/prediction-refresh.ts) runs it for every customer after rescoring; on demand with `{"customer": "acme"}`, or `{"customer": "acme", "create": {"name", "event", "top",
 * "holdout"}}` to create one.
 */
export class PredictionAudiences extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly build: HouseFunction;
  readonly send: HouseFunction;

  constructor(scope: Construct, id: string, props: PredictionAudiencesProps) {
    super(scope, id);
    const environment: AudienceEnvironment = {
      DATABASE: props.databaseName,
      WORKGROUP: props.workGroupName,
      LAKE_BUCKET: props.lake.bucketName,
      WRITE_KEY_SECRET_PREFIX: props.writeKeySecretPrefix,
      SEGMENT_HOST: props.segmentHost,
    };
    this.build = new HouseFunction(this, 'Build', {
      entry: 'audience-build/handler.ts',
      description: 'Audiences, step 1: build, measure and diff every audience of a customer (Athena)',
      environment,
      // A handful of Athena queries per audience, each seconds to minutes; Lambda's limit is 15 minutes.
      timeout: Duration.minutes(15),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.send = new HouseFunction(this, 'Send', {
      entry: 'audience-send/handler.ts',
      description: 'Audiences, step 2: one shard of changed users to Segment (HTTP Tracking API)',
      environment,
      // A shard is ≤ 1/64 of the changed users (AUDIENCE_SYNC_SHARDS): minutes of sending, and its rows in memory.
      timeout: Duration.minutes(15),
      memorySize: 2_048,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.grant(props);

    const buildStep = tasks.LambdaInvoke.jsonata(this, 'BuildAudiences', {
      lambdaFunction: this.build.function,
      payload: sfn.TaskInput.fromText('{% $states.input %}'),
      outputs: '{% $states.result.Payload %}',
      assign: { run: '{% $states.result.Payload %}' },
      retryOnServiceExceptions: true,
    });
    const sendShard = tasks.LambdaInvoke.jsonata(this, 'SendShard', {
      lambdaFunction: this.send.function,
      payload: sfn.TaskInput.fromText('{% $states.input %}'),
      outputs: '{% $states.result.Payload %}',
      retryOnServiceExceptions: true,
    });
    // A shard that failed after its own retries (Segment down for minutes) is tried twice more, later.
    sendShard.addRetry({ errors: ['Error'], interval: Duration.minutes(2), backoffRate: 2, maxAttempts: 2 });
    const sendMap = sfn.DistributedMap.jsonata(this, 'SendChangedUsers', {
      itemReader: new sfn.S3ObjectsItemReader({ bucket: props.lake, prefix: '{% $run.prefix %}' }),
      itemSelector: {
        customer: '{% $run.customer %}',
        bucket: props.lake.bucketName,
        key: '{% $states.context.Map.Item.Value.Key %}',
        timestamp: '{% $run.timestamp %}',
      },
      maxConcurrency: SYNC_MAX_CONCURRENCY,
      toleratedFailurePercentage: 0,
      outputs: '{% $run %}',
    });
    sendMap.itemProcessor(sendShard);
    // Only after every shard was accepted: the next run diffs against what this one sent.
    const record = tasks.CallAwsService.jsonata(this, 'RecordSync', {
      service: 's3',
      action: 'putObject',
      parameters: {
        Bucket: props.lake.bucketName,
        Key: '{% $run.stateKey %}',
        Body: '{% $run.state %}',
        ContentType: 'application/json',
      },
      iamResources: [props.lake.arnForObjects(`${AUDIENCE_SYNC_STATE_PREFIX}*`)],
      outputs: '{% $run %}',
    });

    this.stateMachine = jobStateMachine(this, {
      definition: buildStep.next(sendMap).next(record),
      // A run is Athena's minutes plus the sending, each shard bounded by its function's 15 minutes.
      timeout: Duration.hours(6),
      comment: "Audiences of one customer: build in Athena, sync the changed users' traits to Segment",
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // The Map lists the run's files (ListObjectsV2 is the bucket's ListBucket); the function reads them.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.lake.bucketArn] }),
    );

    this.audiencesTable(props);
    this.acknowledge(props);
  }

  /** What each function may do: Athena over the lake's tables, its own prefixes, the write keys. */
  private grant(props: PredictionAudiencesProps): void {
    const stack = Stack.of(this);
    const allow = (principal: iam.IGrantable, actions: string[], resources: string[]) =>
      principal.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    const build = this.build.role;
    allow(
      build,
      [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ],
      [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName })],
    );
    allow(
      build,
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables'],
      [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` }),
      ],
    );
    allow(
      build,
      ['s3:GetBucketLocation', 's3:ListBucket'],
      [props.lake.bucketArn, props.queryResults.bucketArn],
    );
    allow(
      build,
      ['s3:GetObject'],
      [
        props.lake.arnForObjects(`${CURATED_PREFIX}*`),
        props.lake.arnForObjects(`${SCORES_AREA}/*`),
        props.lake.arnForObjects(`${AUDIENCES_AREA}/*`),
        props.lake.arnForObjects(`${AUDIENCE_SYNC_STATE_PREFIX}*`),
        // The intent run's report: a scoring graded Poor builds no audience.
        props.lake.arnForObjects(`${INTENT_REPORTS_PREFIX}*`),
      ],
    );
    allow(
      build,
      ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
      [
        props.lake.arnForObjects(`${AUDIENCES_AREA}/*`),
        props.lake.arnForObjects(`${AUDIENCE_SYNC_RUNS_PREFIX}*`),
      ],
    );
    allow(
      build,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      [props.queryResults.arnForObjects('athena/*')],
    );
    const secrets = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${props.writeKeySecretPrefix}*`,
    });
    // The build function only checks the key exists; only the sending function reads it.
    allow(build, ['secretsmanager:DescribeSecret'], [secrets]);
    allow(this.send.role, ['secretsmanager:GetSecretValue'], [secrets]);
    allow(this.send.role, ['s3:GetObject'], [props.lake.arnForObjects(`${AUDIENCE_SYNC_RUNS_PREFIX}*`)]);
  }

  /** The `audiences` table over audiences/ (Parquet, as locally), partitions projected, no crawler. */
  private audiencesTable(props: PredictionAudiencesProps): void {
    parquetTable(this, 'AudiencesTable', {
      databaseName: props.databaseName,
      name: AUDIENCES_TABLE,
      lake: props.lake,
      area: AUDIENCES_AREA,
      columns: AUDIENCE_COLUMNS,
      partitions: AUDIENCE_PARTITIONS,
    });
  }

  private acknowledge(props: PredictionAudiencesProps): void {
    const stack = Stack.of(this);
    const lake = logicalRef(props.lake as unknown as Construct);
    const results = logicalRef(props.queryResults as unknown as Construct);
    const acknowledge = (scope: Construct, reasons: Record<string, string>) => {
      acknowledgeWildcards(scope, reasons);
    };
    const secrets = `Resource::${nagText(
      stack.resolve(
        stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${props.writeKeySecretPrefix}*`,
        }),
      ),
    )}`;
    const tables = `Resource::${nagText(stack.resolve(stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` })))}`;
    const runs = `Resource::<${lake}.Arn>/${AUDIENCE_SYNC_RUNS_PREFIX}*`;
    acknowledge(this.build, {
      [tables]: `The audience queries read the tables of this stack's database (table/${props.databaseName}/: scores, audiences, events_curated, and identity_facts through the identities view).`,
      [`Resource::<${lake}.Arn>/${CURATED_PREFIX}*`]:
        'Athena reads the Iceberg files of events_curated (the lift) and identity_facts (the identities a sync re-checks visitors against), files it names itself under curated/ (read only).',
      [`Resource::<${lake}.Arn>/${SCORES_AREA}/*`]:
        'Athena reads the scores Parquet of the audience’s event, under scores/<customer, event, date>/ known per run (read only).',
      [`Resource::<${lake}.Arn>/${AUDIENCES_AREA}/*`]:
        'Each audience has its folder audiences/customer_id=<id>/audience=<name>/ (members per version, definition, lift), named per run.',
      [`Resource::<${lake}.Arn>/${AUDIENCE_SYNC_STATE_PREFIX}*`]:
        'What the last sync sent, one object per customer (audience-sync/state/<customer>.json), read to diff against.',
      [`Resource::<${lake}.Arn>/${INTENT_REPORTS_PREFIX}*`]:
        'The intent runs’ reports, one per scoring under intent/reports/<customer, event, date>/, read for the grade: a Poor scoring builds no audience (read only).',
      [runs]: 'UNLOAD names its own files under the run’s prefix audience-sync/runs/<customer>/<run id>/.',
      [`Resource::<${results}.Arn>/athena/*`]:
        'Athena writes each query result as athena/<query id>.csv, named when the query runs; the function reads them back.',
      [secrets]:
        'The build function checks that a customer has a write key (DescribeSecret: metadata, never the value); one secret per customer under the stack’s prefix.',
    });
    acknowledge(this.send, {
      [runs]:
        'The sending function reads the file of changed users its Map item names, under audience-sync/runs/.',
      [secrets]:
        'Each customer’s Segment write key is its own secret under the stack’s prefix (<stack>/segment-write-key/<customer>), read by the sending function only.',
    });
    acknowledge(this.stateMachine, {
      ...distributedMapJobReasons(this.stateMachine, this.send.function, 'audience sending'),
      [`Resource::<${logicalRef(this.build.function)}.Arn>:*`]:
        'Step Functions may invoke any version of the audience build function (the LambdaInvoke task grants its versions).',
      [`Resource::<${lake}.Arn>/${AUDIENCE_SYNC_STATE_PREFIX}*`]:
        'The last step records what the run sent, one object per customer under audience-sync/state/ (PutObject only).',
    });
  }
}
