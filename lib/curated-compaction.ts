import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { CURATED_AREA, HIDE_SECONDS, STAGING_PREFIX } from '../domain/contract/curated-table';
import type { CompactionEnvironment } from '../domain/contract/environment';
import { IDENTITY_FACTS_AREA } from '../domain/contract/identity';
import { areaPrefix } from '../domain/contract/lake-areas';
import { ATHENA_RESULTS_PREFIX } from '../domain/contract/sql/athena-rules';
import {
  athenaCreateCuratedTable,
  athenaMoveUndatedRows,
  athenaVacuum,
} from '../domain/contract/sql/curated-sql';
import {
  athenaCreateIdentityFacts,
  athenaOptimizeIdentityFacts,
  athenaVacuumIdentityFacts,
} from '../domain/contract/sql/identity-sql';
import { MERGE_CONCURRENCY } from '../domain/core/lake/backlog-lane';
import { HouseFunction } from './house-function';
import { type JobLease, LEASE_TAKEN } from './job-lease';
import { compactionStateMachineName, HOURLY_START_MINUTE } from './job-names';
import { athenaTask as athenaTask_, distributedMapJobReasons, failNamingAny, lambdaStep } from './job-states';
import { acknowledgeWildcards, logicalRef, nagText } from './nag-text';
import { PrefixedJsonItemReader } from './prefixed-item-reader';
import { jobStateMachine, scheduleJob } from './scheduled-job';

/** The state builders a run's parts share: made once in the constructor. */
interface RunTasks {
  athenaTask: (id: string, sql: string, output?: Record<string, string> | string) => sfn.CustomState;
  step: (id: string, payload: Record<string, string>, output: string) => sfn.CustomState;
  renew: (id: string, holder?: string, fence?: string) => sfn.CustomState;
}

export interface CuratedCompactionProps {
  readonly lake: s3.IBucket;
  readonly queryResults: s3.IBucket;
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The lease it shares with the erase pass (lib/job-lease.ts). */
  readonly lease: JobLease;
}

// Every hour (at minute HOURLY_START_MINUTE.compaction): Firehose delivers within its buffer interval
// (at most 15 min), so the curated table trails the landing zone by at most ~75 min plus a run
// (docs/lake.md, "Keeping up").

// The hour (UTC) whose run also expires old snapshots: VACUUM reads the whole table's metadata.
const VACUUM_HOUR = '03';

/**
 * The curated table on AWS, event-driven: S3 tells EventBridge of every landing object created under
 * events/, and a rule puts it in the object log (SQS). Every hour a Step Functions run — holding the lease it
 * shares with the erase pass (lib/job-lease.ts), so never two runs at once and never beside a pass
 * — takes up to MAX_OBJECTS_PER_RUN objects from the log, stages them per customer as symlink manifests,
 * asks Athena which customer × event-date partitions they hold, packs those into MERGEs of at most 100
 * partitions (Athena's limit), merges and optimizes each (four at a time), and only then removes its
 * objects from the log. A failed run removes nothing: its objects come back after HIDE_SECONDS and are
 * merged again, which changes nothing already merged. No look-back window: an object of any age (a
 * redrive's, a late delivery's) is in the log. SQL: domain/contract/sql/curated-sql.ts.
 */
export class CuratedCompaction extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;
  readonly objectLog: sqs.Queue;
  readonly objectLogDeadLetters: sqs.Queue;
  readonly scheduleDeadLetters: sqs.Queue;
  readonly steps: HouseFunction;
  /** The state machine's name (an erase pass waits while a run of it is running). */
  readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: CuratedCompactionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { databaseName: db, workGroupName } = props;

    const objectLog = this.objectLogOf(props);
    this.objectLog = objectLog.queue;
    this.objectLogDeadLetters = objectLog.deadLetters;
    this.steps = this.stepsFunction(props);
    const fn = this.steps.function;

    const athenaTask = (taskId: string, queryString: string, output?: Record<string, string> | string) =>
      athenaTask_(this, taskId, {
        queryString,
        workGroupName,
        databaseName: db,
        ...(output ? { output } : {}),
      });
    const step = (taskId: string, payload: Record<string, string>, output: string) =>
      lambdaStep(this, taskId, fn, payload, output);
    const runId = '{% $states.context.Execution.Name %}';

    // The lease (lib/job-lease.ts): one run at a time — Iceberg's optimistic commits let two MERGEs of
    // one key both insert — and never beside an erase pass, whose rewrites a MERGE of an object read
    // before them would undo. Held elsewhere, the hour's run is skipped; the next one takes its objects.
    const lease = props.lease;
    const take = lease.take(this, 'TakeLease', runId);
    take.addCatch(new sfn.Succeed(this, 'LeaseHeldElsewhere'), { errors: [LEASE_TAKEN] });
    // Renewed (and checked: fencing) before every step that commits or reads the landing objects.
    const renew = (id: string, holder = runId, fence = '{% $fence %}') =>
      lease.renew(this, id, holder, fence);
    const tasks: RunTasks = { athenaTask, step, renew };
    const stage = step('StageObjects', { step: 'stage', runId }, '{% $states.result.Payload %}');
    const plan = athenaTask('PlanPartitions', '{% $states.input.planSql %}', {
      queryExecutionId: '{% $states.result.QueryExecution.QueryExecutionId %}',
    });
    const pack = step(
      'PackMerges',
      { step: 'pack', runId, queryExecutionId: '{% $states.input.queryExecutionId %}' },
      '{% $states.result.Payload %}',
    );
    // Nothing new staged, but a backlog waits: its next share, without a plan query.
    const packBacklog = step(
      'PackBacklogOnly',
      { step: 'pack', runId, queryExecutionId: '{% null %}' },
      '{% $states.result.Payload %}',
    );
    const merges = sfn.DistributedMap.jsonata(this, 'MergeEachItem', {
      itemReader: new PrefixedJsonItemReader({
        bucket: props.lake,
        key: '{% $states.input.itemsKey %}',
        prefix: STAGING_PREFIX,
      }),
      // A distributed Map's items see no variable of the run: the lease they renew travels with each.
      itemSelector: {
        merge: '{% $states.context.Map.Item.Value.merge %}',
        optimize: '{% $states.context.Map.Item.Value.optimize %}',
        commits: '{% $states.context.Map.Item.Value.commits %}',
        aloneKey: '{% $states.context.Map.Item.Value.aloneKey %}',
        backlog: '{% $states.context.Map.Item.Value.backlog %}',
        notAfter: '{% $states.context.Map.Item.Value.notAfter %}',
        holder: runId,
        fence: '{% $fence %}',
      },
      maxConcurrency: MERGE_CONCURRENCY,
      toleratedFailurePercentage: 0,
      outputs: {},
      // The customers whose MERGE failed even alone (each item answers its own).
      assign: { parked: '{% $distinct($append([], $states.result.parked)) %}' },
    });
    merges.itemProcessor(this.mergeItem(props.lake, tasks));
    const finishEmpty = step('FinishEmptyRun', { step: 'finish', runId }, '{% $states.result.Payload %}');
    const finish = step(
      'FinishRun',
      { step: 'finish', runId, parked: '{% $parked %}' },
      '{% $states.result.Payload %}',
    );
    // Once a day both tables' old snapshots are expired (outside the lease: VACUUM only removes what no
    // snapshot younger than 6 h holds).
    const vacuum = athenaTask('Vacuum', `{% ${JSON.stringify(athenaVacuum(db))} %}`);
    const vacuumFacts = athenaTask(
      'VacuumIdentityFacts',
      `{% ${JSON.stringify(athenaVacuumIdentityFacts(db))} %}`,
    );
    const done = new sfn.Succeed(this, 'Done');
    // Given up when the run's commits are done; a lease lost meanwhile has nothing to give up. The VACUUM
    // runs outside it: it only expires snapshots older than 6 h and files no snapshot holds.
    // A run that parked customers ends failed, naming them (the CompactionFailed alarm), once the others
    // are committed and the lease given up.
    const anyParked = failNamingAny(
      this,
      {
        choiceId: 'AnyCustomerParked?',
        failId: 'CustomersParked',
        names: 'parked',
        error: 'CustomersParked',
        cause: 'MERGE failed even customer by customer for: ',
        suffix: ' (their objects stay in the object log)',
      },
      done,
    );
    const vacuumHour = sfn.Choice.jsonata(this, 'VacuumHour?')
      .when(
        sfn.Condition.jsonata(`{% $substring($now(), 11, 2) = '${VACUUM_HOUR}' %}`),
        vacuum.next(vacuumFacts).next(anyParked),
      )
      .otherwise(anyParked);
    const release = lease.release(this, 'ReleaseLease', runId, '{% $fence %}');
    release.addCatch(vacuumHour, { errors: [LEASE_TAKEN] });
    const releaseEmpty = lease.release(this, 'ReleaseLeaseEmpty', runId, '{% $fence %}');
    releaseEmpty.addCatch(done, { errors: [LEASE_TAKEN] });
    // A run that fails keeps the lease until it expires (LEASE_SECONDS); its objects come back to the log.

    merges.next(this.runIdentities(db, tasks, runId, finish));
    finish.next(release).next(vacuumHour);

    const definition = take
      .next(
        athenaTask(
          'CreateCuratedTable',
          `{% ${JSON.stringify(athenaCreateCuratedTable(db, props.lake.s3UrlForObject(`${CURATED_AREA}/`)))} %}`,
        ),
      )
      .next(renew('RenewBeforeUndated'))
      .next(athenaTask('MoveUndatedRows', `{% ${JSON.stringify(athenaMoveUndatedRows(db))} %}`))
      .next(this.identityFacts(props, tasks, runId))
      .next(renew('RenewBeforeStage'))
      .next(stage)
      .next(
        sfn.Choice.jsonata(this, 'AnythingStaged?')
          .when(
            sfn.Condition.jsonata(
              '{% $count($states.input.customers) = 0 and $states.input.backlogBatches = 0 %}',
            ),
            finishEmpty.next(releaseEmpty).next(done),
          )
          .when(
            sfn.Condition.jsonata('{% $count($states.input.customers) = 0 %}'),
            renew('RenewBeforeBacklogPack').next(packBacklog).next(merges),
          )
          .otherwise(plan.next(renew('RenewBeforePack')).next(pack).next(merges)),
      );

    const stateMachineName = compactionStateMachineName(stack.stackName);
    this.stateMachineName = stateMachineName;
    this.stateMachine = jobStateMachine(this, {
      stateMachineName,
      definition: definition,
      // A run stages at most 150,000 objects; a stuck Athena query should not hold the next one forever.
      timeout: Duration.hours(6),
      comment: 'Merges new landing objects into the curated Iceberg table (events_curated)',
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    fn.grantInvoke(this.stateMachine);
    lease.grant(this.stateMachine);
    this.grantAthena(props);

    const scheduled = scheduleJob(this, {
      id: 'Hourly',
      machine: this.stateMachine,
      // Hourly, at its own minute (HOURLY_START_MINUTE): never at the same moment as the other job.
      schedule: scheduler.ScheduleExpression.cron({ minute: String(HOURLY_START_MINUTE.compaction) }),
      description: 'Curated table compaction (events_curated)',
      deadLetterReason:
        "The schedule's dead-letter queue is the end of the line: its messages alarm (lib/monitoring.ts) and are looked at by a person.",
    });
    this.schedule = scheduled.schedule;
    this.scheduleDeadLetters = scheduled.deadLetters;
    Validations.of(this.objectLogDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "The object log's dead-letter queue is the end of the line: its messages alarm (lib/monitoring.ts) and are looked at by a person.",
    });
  }

  /**
   * The identity facts table (domain/contract/sql/identity-sql.ts), created once; a lake from before it
   * gets the facts of its whole curated table once (a MERGE: a retried run changes nothing), then a
   * marker; then the scopes earlier runs could not merge (compaction-run.ts, identityFactsDue).
   */
  private identityFacts(
    props: CuratedCompactionProps,
    { athenaTask, step, renew }: RunTasks,
    runId: string,
  ): sfn.Chain {
    const db = props.databaseName;
    const create = athenaTask(
      'CreateIdentityFacts',
      `{% ${JSON.stringify(athenaCreateIdentityFacts(db, props.lake.s3UrlForObject(`${IDENTITY_FACTS_AREA}/`)))} %}`,
    );
    const due = step('IdentityFactsDue', { step: 'identityFactsDue' }, '{% $states.result.Payload %}');
    const ready = new sfn.Pass(this, 'IdentityFactsReady', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: {},
    });
    const backfillFacts = athenaTask(
      'BackfillIdentityFacts',
      '{% $states.input.sql %}',
      '{% $states.input %}',
    );
    // A backfill that fails (Athena's DML time-out on a very large lake, say) never stops the run: its
    // scope stays (no marker, pending files kept), the next run tries it again, the curated table keeps up.
    backfillFacts.addCatch(ready, { errors: ['States.ALL'] });
    const backfill = renew('RenewBeforeIdentityBackfill')
      .next(backfillFacts)
      .next(
        step(
          'MarkIdentityFacts',
          {
            step: 'markIdentityFacts',
            runId,
            whole: '{% $states.input.whole %}',
            pendingKeys: '{% $states.input.pendingKeys %}',
          },
          '{% {} %}',
        ),
      )
      .next(ready);
    return sfn.Chain.start(create)
      .next(due)
      .next(
        sfn.Choice.jsonata(this, 'IdentityFactsDue?')
          .when(sfn.Condition.jsonata('{% $states.input.due %}'), backfill)
          .otherwise(ready)
          .afterwards(),
      );
  }

  /**
   * After the MERGE items, the run's identity facts in one statement (the only writer of the facts
   * table: no two MERGEs conflict on its files), its scope kept as a pending file first and cleared once
   * merged; a statement that fails leaves it to the next run and the run goes on to its finish.
   */
  private runIdentities(
    database: string,
    { athenaTask, step, renew }: RunTasks,
    runId: string,
    finish: sfn.State,
  ): sfn.Chain {
    const plan = step(
      'PlanRunIdentities',
      { step: 'planRunIdentities', runId },
      '{% $states.result.Payload %}',
    );
    const merge = athenaTask('MergeRunIdentities', '{% $states.input.sql %}', '{% $states.input %}');
    merge.addCatch(finish, { errors: ['States.ALL'] });
    const clear = step(
      'ClearRunIdentities',
      {
        step: 'markIdentityFacts',
        runId,
        pendingKeys: '{% [$states.input.pendingKey] %}',
      },
      '{% {} %}',
    );
    // Once a day, still under the lease (an erase pass rewrites the same table's files), the facts'
    // small files are packed: a run adds a few each hour.
    const pack = renew('RenewBeforeOptimizeIdentityFacts')
      .next(
        athenaTask(
          'OptimizeIdentityFacts',
          `{% ${JSON.stringify(athenaOptimizeIdentityFacts(database))} %}`,
          '{% $states.input %}',
        ),
      )
      .next(finish);
    const packHour = sfn.Choice.jsonata(this, 'IdentityPackHour?')
      .when(sfn.Condition.jsonata(`{% $substring($now(), 11, 2) = '${VACUUM_HOUR}' %}`), pack)
      .otherwise(finish);
    return sfn.Chain.start(plan).next(
      sfn.Choice.jsonata(this, 'AnyRunIdentities?')
        .when(
          sfn.Condition.jsonata('{% $exists($states.input.sql) and $states.input.sql != null %}'),
          renew('RenewBeforeRunIdentities').next(merge).next(clear).next(packHour),
        )
        .otherwise(finish),
    );
  }

  /**
   * One item, in a child execution: its MERGE and OPTIMIZE together; if they fail, the same customer by
   * customer (`alone`), a customer that fails alone being parked; then the messages of the customers it
   * merged whole leave the log (commitItem) — not a parked one's — or, for a backlog item, its days are
   * noted as merged. A backlog item past the lane's window is left for the next run. Answers `{ parked }`.
   */

  /**
   * The object log: every landing object under events/, from S3's EventBridge notifications, waiting for
   * the next run; a message received five times without its run finishing is set aside and alarms.
   */
  private objectLogOf(props: CuratedCompactionProps): { queue: sqs.Queue; deadLetters: sqs.Queue } {
    const deadLetters = new sqs.Queue(this, 'ObjectLogDeadLetters', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    const objectLog = new sqs.Queue(this, 'ObjectLog', {
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(HIDE_SECONDS),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      // A message received five times without its run finishing is set aside (and alarms) rather than
      // retried forever.
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    new events.Rule(this, 'LandingObjectCreated', {
      description: 'Landing objects under events/ into the compaction object log',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.lake.bucketName] },
          object: { key: [{ prefix: areaPrefix('events') }] },
        },
      },
      targets: [new eventTargets.SqsQueue(objectLog)],
    });

    return { queue: objectLog, deadLetters };
  }

  /** The run's steps (stage, pack, finish), allowed the object log, the staging files and Athena's results. */
  private stepsFunction(props: CuratedCompactionProps): HouseFunction {
    const steps = new HouseFunction(this, 'Steps', {
      entry: 'compaction/handler.ts',
      description: 'Curated compaction: stage a run from the object log, pack its MERGEs, finish it',
      environment: {
        OBJECT_LOG_URL: this.objectLog.queueUrl,
        LAKE_BUCKET: props.lake.bucketName,
        RESULTS_BUCKET: props.queryResults.bucketName,
        DATABASE: props.databaseName,
      } satisfies CompactionEnvironment,
      // Draining 150,000 messages takes ~12,000 receives (~2 min); 15 min is Lambda's most.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const fn = steps.function;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        resources: [this.objectLog.queueArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [props.lake.arnForObjects(`${STAGING_PREFIX}/*`)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.lake.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${STAGING_PREFIX}/*`] } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.queryResults.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
      }),
    );
    return steps;
  }

  private mergeItem(lake: s3.IBucket, { athenaTask, step, renew }: RunTasks): sfn.IChainable {
    const holder = '{% $item.holder %}';
    const fence = '{% $item.fence %}';
    const aloneHolder = '{% $customer.holder %}';
    const aloneFence = '{% $customer.fence %}';
    const together = new sfn.Parallel(this, 'MergeTogether', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: {},
    }).branch(
      renew('RenewBeforeMerge', holder, fence)
        .next(athenaTask('Merge', '{% $item.merge %}'))
        .next(renew('RenewBeforeOptimize', holder, fence))
        .next(athenaTask('OptimizeMerged', '{% $item.optimize %}')),
    );
    const oneCustomer = new sfn.Parallel(this, 'MergeOneCustomer', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: '{% {"customerId": $customer.customerId} %}',
    }).branch(
      renew('RenewBeforeMergeAlone', aloneHolder, aloneFence)
        .next(athenaTask('MergeAlone', '{% $customer.merge %}'))
        .next(renew('RenewBeforeOptimizeAlone', aloneHolder, aloneFence))
        .next(athenaTask('OptimizeAlone', '{% $customer.optimize %}')),
    );
    oneCustomer.addCatch(
      new sfn.Pass(this, 'ParkCustomer', {
        queryLanguage: sfn.QueryLanguage.JSONATA,
        outputs: '{% {"customerId": $customer.customerId, "parked": true} %}',
      }),
    );
    // Each customer in a child execution of its own: its statements come from the item's file (they do
    // not fit a state's input all together), and the lease it renews travels with each.
    const eachAlone = sfn.DistributedMap.jsonata(this, 'EachCustomerAlone', {
      itemReader: new PrefixedJsonItemReader({
        bucket: lake,
        key: '{% $item.aloneKey %}',
        prefix: STAGING_PREFIX,
      }),
      itemSelector: {
        customerId: '{% $states.context.Map.Item.Value.customerId %}',
        merge: '{% $states.context.Map.Item.Value.merge %}',
        optimize: '{% $states.context.Map.Item.Value.optimize %}',
        holder,
        fence,
      },
      // One at a time: the item's own slot among MERGE_CONCURRENCY.
      maxConcurrency: 1,
      toleratedFailurePercentage: 0,
      outputs: {},
      assign: { parked: '{% $append([], $states.result[parked].customerId) %}' },
    });
    eachAlone.itemProcessor(
      new sfn.Pass(this, 'HoldCustomer', {
        queryLanguage: sfn.QueryLanguage.JSONATA,
        assign: { customer: '{% $states.input %}' },
      }).next(oneCustomer),
    );
    const commit = step(
      'CommitItem',
      {
        step: 'commitItem',
        runId: holder,
        customers: '{% $append([], $filter($item.commits, function($c) { $not($c in $parked) })) %}',
        // A backlog item's days, for the finish to take off its batches — not a parked customer's.
        backlog:
          '{% ($item.backlog != null and $not($item.backlog.customerId in $parked)) ? $item.backlog : null %}',
      },
      // Nothing for an item that parked no one: the run gathers every item's answer within 256 KiB.
      '{% $count($parked) > 0 ? {"parked": $parked} : {} %}',
    );
    together.addCatch(eachAlone);
    together.next(commit);
    eachAlone.next(commit);
    // A backlog item not started within the lane's window is left for the next run (its days stay in
    // their batch), so that a Replay never holds the lease past the next hour (backlog-lane.ts).
    const inWindow = sfn.Choice.jsonata(this, 'BacklogWindowOver?')
      .when(
        sfn.Condition.jsonata('{% $item.notAfter != null and $millis() > $item.notAfter %}'),
        new sfn.Pass(this, 'LeaveForNextRun', { queryLanguage: sfn.QueryLanguage.JSONATA, outputs: {} }),
      )
      .otherwise(together);
    return new sfn.Pass(this, 'HoldItem', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      assign: { item: '{% $states.input %}', parked: '{% [] %}' },
    }).next(inWindow);
  }

  /**
   * What the state machine's Athena queries need, as the queries run with its role: the workgroup,
   * the catalog entries of this database, the staged objects to read, curated/ to write, the results.
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
    // Every table of this database: the job creates events_curated and reads compaction_staging.
    allow(
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable', 'glue:UpdateTable'],
      [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` }),
      ],
    );
    allow(['s3:GetBucketLocation', 's3:ListBucket'], [props.lake.bucketArn, props.queryResults.bucketArn]);
    // The landing objects the manifests list, and the manifests (and items) themselves.
    allow(
      ['s3:GetObject'],
      [props.lake.arnForObjects(`${areaPrefix('events')}*`), props.lake.arnForObjects(`${STAGING_PREFIX}/*`)],
    );
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      [props.lake.arnForObjects(`${CURATED_AREA}/*`)],
    );
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [props.queryResults.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
    );
    this.acknowledge(props);
  }

  private acknowledge(props: CuratedCompactionProps): void {
    const stack = Stack.of(this);
    const lake = logicalRef(props.lake as unknown as Construct);
    const results = logicalRef(props.queryResults as unknown as Construct);
    const reasons: Record<string, string> = {
      [`Resource::<${lake}.Arn>/events/*`]:
        'Athena reads the landing objects a run staged: every object under events/, read only.',
      [`Resource::<${lake}.Arn>/${STAGING_PREFIX}/*`]:
        "The run's manifests and MERGE items, named per run and customer under curated/_staging/.",
      [`Resource::<${lake}.Arn>/curated/events/*`]:
        'Iceberg names its data and metadata files itself under the table location curated/events/; three object actions only.',
      [`Resource::<${results}.Arn>/${ATHENA_RESULTS_PREFIX}*`]:
        'Athena writes each query result as athena/<query id>.csv, a name known only when the query runs.',
      [`Resource::${nagText(stack.resolve(stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` })))}`]: `The job creates and commits to tables of this stack's database only (table/${props.databaseName}/: events_curated, and reads compaction_staging).`,
      ...distributedMapJobReasons(this.stateMachine, this.steps.function, "compaction steps'"),
    };
    acknowledgeWildcards(this.stateMachine, reasons);
    Validations.of(this.steps.function.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${lake}.Arn>/${STAGING_PREFIX}/*]`,
      reason:
        "The run's manifests, receipts and MERGE items, named per run and customer under curated/_staging/.",
    });
    Validations.of(this.steps.function.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${results}.Arn>/${ATHENA_RESULTS_PREFIX}*]`,
      reason: "The partition query's result, athena/<query id>.csv, named when the query runs (read only).",
    });
  }
}
