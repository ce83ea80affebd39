import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  ArnFormat,
  type CfnResource,
  Duration,
  type RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { CURATED_AREA } from '../lambdas/contract/curated-table';
import {
  athenaBatchItems,
  athenaCreateCuratedTable,
  athenaCreateStateTables,
  athenaMaintenance,
  athenaMarkTaken,
  athenaMergeItem,
  athenaPlanBatch,
  SQL_TOKENS,
} from '../lambdas/contract/sql/curated-sql';
import { nagText } from './nag-text';

export interface CuratedCompactionProps {
  readonly lake: s3.IBucket;
  readonly queryResults: s3.IBucket;
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

// Every hour: Firehose delivers within its buffer interval (at most 15 min), so the curated table
// trails the landing zone by at most ~75 min, and each run merges an hour of objects (small MERGEs).
const EVERY = Duration.hours(1);
// Receive days a run looks back for objects not taken yet: today and yesterday cover Firehose's late
// deliveries across a midnight. A redrive lands records under their original receive day: after one,
// start an execution with {"lookbackDays": <days since the oldest redriven day>} (docs/operations.md).
const LOOKBACK_DAYS = 2;
// Athena allows 20–25 DML queries at once per account (Service Quotas, "Active DML queries"); four
// merges at a time leave the rest to analysts and to the other work of this stack.
const MERGE_CONCURRENCY = 4;

/**
 * The curated table on AWS: every hour EventBridge Scheduler starts a Step Functions state machine
 * whose Athena tasks (no server of ours) create the Iceberg table and the job's state tables once,
 * fix a batch of the landing objects not taken yet, merge it into events_curated one customer × event
 * month at a time (at most 31 partitions per statement, under Athena's 100), mark the batch taken
 * (last), then OPTIMIZE and VACUUM. The SQL is lambdas/contract/sql/curated-sql.ts, the same module
 * the local compaction and its tests use.
 */
export class CuratedCompaction extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: CuratedCompactionProps) {
    super(scope, id);
    const { databaseName: db, workGroupName } = props;
    const location = props.lake.s3UrlForObject(`${CURATED_AREA}/`);
    const stateLocation = props.lake.s3UrlForObject('curated/_state/');

    /**
     * An Athena statement run to its end (the `.sync` integration), written as the state itself so the
     * role gets exactly the actions below, not the task construct's wildcard grants.
     */
    const athenaTask = (taskId: string, sql: string, assign?: Record<string, string>) =>
      new sfn.CustomState(this, taskId, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${Stack.of(this).partition}:states:::athena:startQueryExecution.sync`,
          Arguments: {
            QueryString: jsonataSql(sql),
            WorkGroup: workGroupName,
            QueryExecutionContext: { Database: db },
          },
          ...(assign ? { Assign: assign } : {}),
          Output: {},
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

    const [createTaken, createBatch] = athenaCreateStateTables(db, stateLocation);
    const merges = sfn.DistributedMap.jsonata(this, 'MergeEachCustomerMonth', {
      // The work items are the listing query's CSV result, which the workgroup writes under athena/.
      itemReader: new sfn.S3CsvItemReader({
        bucket: props.queryResults,
        key: "{% 'athena/' & $itemsQuery & '.csv' %}",
      }),
      maxConcurrency: MERGE_CONCURRENCY,
      toleratedFailurePercentage: 0,
      outputs: {},
    });
    merges.itemProcessor(
      athenaTask(
        'MergeCustomerMonth',
        athenaMergeItem(db, SQL_TOKENS.runId, SQL_TOKENS.customer, SQL_TOKENS.month),
      ),
    );
    const [optimize, vacuum] = athenaMaintenance(db);

    const definition = athenaTask('CreateCuratedTable', athenaCreateCuratedTable(db, location))
      .next(athenaTask('CreateTakenObjectsTable', createTaken!))
      .next(athenaTask('CreateBatchesTable', createBatch!))
      .next(athenaTask('PlanBatch', athenaPlanBatch(db, SQL_TOKENS.runId, SQL_TOKENS.lookbackDays)))
      .next(
        athenaTask('ListWorkItems', athenaBatchItems(db, SQL_TOKENS.runId), {
          itemsQuery: '{% $states.result.QueryExecution.QueryExecutionId %}',
        }),
      )
      .next(merges)
      .next(athenaTask('MarkBatchTaken', athenaMarkTaken(db, SQL_TOKENS.runId)))
      .next(athenaTask('Optimize', optimize!))
      .next(athenaTask('Vacuum', vacuum!));

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      queryLanguage: sfn.QueryLanguage.JSONATA,
      // A run merges at most a few hours of objects; a stuck Athena query should not hold the next one.
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'Merges new landing objects into the curated Iceberg table (events_curated)',
    });
    this.grantAthena(props);

    this.schedule = new scheduler.Schedule(this, 'Hourly', {
      schedule: scheduler.ScheduleExpression.rate(EVERY),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ lookbackDays: LOOKBACK_DAYS }),
        retryAttempts: 2,
      }),
      description: 'Curated table compaction (events_curated)',
    });
  }

  /**
   * What the state machine's Athena queries need, as the queries run with its role: the workgroup,
   * the catalog entries of this database, the landing zone to read, curated/ to write, the results.
   */
  private grantAthena(props: CuratedCompactionProps): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const allow = (actions: string[], resources: string[]) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    allow(
      ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName })],
    );
    // Every table of this database: the job creates its own (events_curated and its two state tables).
    allow(
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable', 'glue:UpdateTable'],
      [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` }),
      ],
    );
    allow(['s3:GetBucketLocation', 's3:ListBucket'], [props.lake.bucketArn, props.queryResults.bucketArn]);
    allow(['s3:GetObject'], [props.lake.arnForObjects('events/*')]);
    allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [props.lake.arnForObjects('curated/*')]);
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [props.queryResults.arnForObjects('athena/*')],
    );
    this.acknowledge(props);
  }

  private acknowledge(props: CuratedCompactionProps): void {
    const stack = Stack.of(this);
    const ref = (c: Construct) => stack.resolve((c.node.defaultChild as CfnResource).logicalId);
    const lake = ref(props.lake as unknown as Construct);
    const results = ref(props.queryResults as unknown as Construct);
    const reasons: Record<string, string> = {
      [`Resource::<${lake}.Arn>/events/*`]:
        'Athena reads the landing objects it plans and merges: every object under events/, read only.',
      [`Resource::<${lake}.Arn>/curated/*`]:
        'Iceberg names its data and metadata files itself under the table location curated/; three object actions only.',
      [`Resource::<${results}.Arn>/athena/*`]:
        'Athena writes each query result as athena/<query id>.csv, a name known only when the query runs.',
      [`Resource::arn:<AWS::Partition>:s3:::<${results}>/*`]:
        "The Distributed Map reads the work-item listing's result object from the query-results bucket (s3:GetObject only).",
      [`Resource::${nagText(stack.resolve(stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` })))}`]: `The job creates and commits to tables of this stack's database only (table/${props.databaseName}/: events_curated and its state).`,
      'Resource::*':
        'X-Ray trace segments and CloudWatch Logs vended log deliveries cannot be scoped to a resource (service authorization reference).',
    };
    // The Distributed Map starts, describes and stops child executions of this state machine, whose
    // names Step Functions makes up at run time: CDK grants them by this machine's execution prefix.
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: stack.splitArn(this.stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME)
        .resourceName!,
    });
    reasons[`Resource::${nagText(stack.resolve(`${executions}:*`))}`] =
      "The Distributed Map's child executions of this state machine only (Describe and Stop), named at run time.";
    reasons[`Resource::${nagText(stack.resolve(`${executions}/*:*`))}`] =
      "The Distributed Map's child runs (map runs) of this state machine only, named at run time.";
    for (const [finding, reason] of Object.entries(reasons))
      Validations.of(this.stateMachine).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/**
 * A statement of curated-sql.ts with its tokens, as a JSONata expression for Step Functions: the text
 * between tokens as JSON string literals, the tokens as the execution's or the Map item's values.
 */
export function jsonataSql(sql: string): string {
  const input = '$states.context.Execution.Input.lookbackDays';
  const values: Record<string, string> = {
    [SQL_TOKENS.runId]: '$states.context.Execution.Name',
    [SQL_TOKENS.customer]: '$states.input.customer_id',
    [SQL_TOKENS.month]: '$states.input.month',
    // A whole number or the execution fails ($number refuses anything else): never text in the SQL.
    [SQL_TOKENS.lookbackDays]: `$string($floor($number($exists(${input}) ? ${input} : ${LOOKBACK_DAYS})))`,
  };
  const pattern = new RegExp(Object.keys(values).join('|'), 'g');
  const parts: string[] = [];
  let last = 0;
  for (const match of sql.matchAll(pattern)) {
    parts.push(JSON.stringify(sql.slice(last, match.index)), values[match[0]]!);
    last = match.index + match[0].length;
  }
  parts.push(JSON.stringify(sql.slice(last)));
  return `{% ${parts.join(' & ')} %}`;
}
