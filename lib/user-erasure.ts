import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { CURATED_AREA, INTENT_FEATURES_PREFIX } from '../domain/contract/curated-table';
import type { ErasureEnvironment } from '../domain/contract/environment';
import {
  awsAudiencePrefixes,
  ERASE_PASSES_PREFIX,
  ERASED_ROWS_PREFIX,
  erasePrefixes,
} from '../domain/contract/erasure';
import { areaPrefix } from '../domain/contract/lake-areas';
import { ATHENA_RESULTS_PREFIX } from '../domain/contract/sql/athena-rules';
import { athenaVacuum } from '../domain/contract/sql/curated-sql';
import { athenaSnapshotRetention, SNAPSHOT_AGE_SECONDS } from '../domain/contract/sql/erasure-sql';
import { athenaVacuumIdentityFacts } from '../domain/contract/sql/identity-sql';
import { ERASE_CONCURRENCY, REWRITE_CONCURRENCY } from '../domain/core/erasure/erase-capacity';
import { HouseFunction } from './house-function';
import { type JobLease, LEASE_TAKEN } from './job-lease';
import { erasureStateMachineName, erasureVacuumStateMachineName, HOURLY_START_MINUTE } from './job-names';
import { athenaTask as athenaTask_, distributedMapJobReasons, failNamingAny, lambdaStep } from './job-states';
import { acknowledgeWildcards, logicalRef, nagText } from './nag-text';
import { PrefixedJsonItemReader } from './prefixed-item-reader';
import { jobStateMachine, scheduleJob } from './scheduled-job';

export interface UserErasureProps {
  readonly lake: s3.IBucket;
  readonly queryResults: s3.IBucket;
  readonly databaseName: string;
  readonly workGroupName: string;
  /** Hours within which a delete is executed (the `eraseWindowHours` setting). */
  readonly windowHours: number;
  /** The lease it shares with the compaction (lib/job-lease.ts). */
  readonly lease: JobLease;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

// Every hour (HOURLY_START_MINUTE): a customer's requests are due a third of the window after the
// oldest arrived, so a pass starts at most an hour after that; two more passes fit in the window if one fails.
// Waiting for the lease (a compaction run holds it): tried every five minutes for 50 minutes; then the
// run ends and the next hour's tries again, so waiting runs never pile up.
const LEASE_POLL_SECONDS = 300;
const LEASE_POLLS = 10;

/**
 * Segment `delete` on AWS (docs/privacy.md): ingest records each request in the erasure table (its
 * user id hashed under the audit key too), and every hour a Step Functions run executes the requests
 * due: it plans every customer with one due (at most CUSTOMERS_PER_RUN, oldest first) and runs a pass
 * per customer, ERASE_CONCURRENCY at once, as the child executions of a Distributed Map: link the
 * user's anonymous ids (Athena, over that customer's landing events), find the objects that hold them
 * (Athena's `"$path"`), rewrite those without the user's rows and delete the objects' old versions (a Distributed Map
 * of the steps function), DELETE the rows from the curated Iceberg table and rewrite its files, verify
 * that 0 rows remain, and write the audit. After the last pass, the table's old snapshots are expired
 * (VACUUM, once the DELETE is older than the snapshot retention, in a state machine of its own). It
 * holds the lease it shares with the compaction (lib/job-lease.ts) from its plan to its last pass:
 * never beside a compaction run, never two runs at once.
 */
export class UserErasure extends Construct {
  readonly table: dynamodb.Table;
  readonly auditKey: secrets.Secret;
  readonly stateMachine: sfn.StateMachine;
  /** The VACUUM hours after a pass that erased something (started by the pass, never waited for). */
  readonly vacuumStateMachine: sfn.StateMachine;
  readonly steps: HouseFunction;
  readonly scheduleDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: UserErasureProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { databaseName: db, workGroupName } = props;

    this.table = new dynamodb.Table(this, 'Requests', {
      partitionKey: { name: 'customer_id', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'message_id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // Point-in-time recovery keeps every earlier image of an item, a pending request's user id
      // included, for its recovery period (1–35 days: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoverySpecification.html):
      // short enough that the image from before the erase (a third of the window in) is gone before
      // the window ends.
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: true,
        recoveryPeriodInDays: recoveryDays(props.windowHours),
      },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy,
    });
    this.auditKey = new secrets.Secret(this, 'AuditKey', {
      description: 'HMAC key of the erasure audit: erased user ids are kept only as keyed hashes',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.auditKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The audit key is not a credential: rotating it would make every audit entry unverifiable (the hashes would no longer match the ids an auditor checks).',
    });

    this.steps = new HouseFunction(this, 'Steps', {
      entry: 'erasure/handler.ts',
      description: 'Erase pass: plan a customer, rewrite its objects, finish with the audit',
      environment: {
        ERASURE_TABLE: this.table.tableName,
        AUDIT_KEY_SECRET: this.auditKey.secretArn,
        LAKE_BUCKET: props.lake.bucketName,
        RESULTS_BUCKET: props.queryResults.bucketName,
        DATABASE: db,
        ERASE_WINDOW_HOURS: String(props.windowHours),
      } satisfies ErasureEnvironment,
      // A batch of 100 objects of up to 128 MiB each, read and rewritten one at a time.
      timeout: Duration.minutes(15),
      memorySize: 2048,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.grantSteps(props);

    const { athenaTask, step } = this.tasks(props);
    const fn = this.steps.function;
    const stateMachineName = erasureStateMachineName(stack.stackName);

    // The lease: one run at a time, and never beside a compaction run — a MERGE that read an object
    // before it was rewritten could otherwise commit the user's rows back after the DELETE. Renewed
    // (and checked: fencing) before every step of a pass; the rewrite's items renew it themselves.
    // Passes run as child executions (several customers at once): each child holds the run's name and
    // fence in its own variables, `$holder` and `$fence`.
    const lease = props.lease;
    const runName = '{% $states.context.Execution.Name %}';
    const plan = step('PlanRun', { step: 'planRun', runId: runName }, '{% $states.result.Payload %}');
    const passes = this.erasePasses(props, runName);

    // VACUUM expires a snapshot only once it is older than the table's retention, so it runs that long
    // after the last DELETE — in a state machine of its own, which this pass starts and does not wait
    // for: a pass that erased something used to hold its execution open for 6 h 10 min, and the
    // compaction, which never runs beside an erase pass, waited all that time. VACUUM beside a MERGE is
    // safe: it only expires snapshots older than 6 h and removes files no snapshot left holds.
    const retention = athenaTask('SnapshotRetention', `{% ${JSON.stringify(athenaSnapshotRetention(db))} %}`);
    this.vacuumStateMachine = this.vacuumLater(props, workGroupName, db);
    const startVacuum = new sfn.CustomState(this, 'StartVacuumLater', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${stack.partition}:states:::states:startExecution`,
        Arguments: {
          StateMachineArn: this.vacuumStateMachine.stateMachineArn,
          // Named after this run: a retried start of the same run starts nothing twice.
          Name: '{% $states.context.Execution.Name %}',
          Input: {},
        },
        Output: {},
      },
    });
    const outcome = failNamingAny(
      this,
      {
        choiceId: 'AnyCustomerFailed?',
        failId: 'SomeCustomersFailed',
        names: 'failedCustomers',
        error: 'ErasePassFailed',
        cause: 'erase passes failed for: ',
      },
      new sfn.Succeed(this, 'Done'),
    );
    const anythingErased = sfn.Choice.jsonata(this, 'AnythingErased?')
      .when(sfn.Condition.jsonata('{% $erasedAny %}'), retention.next(startVacuum).next(outcome))
      .otherwise(outcome);
    // The passes are over: the lease is given up before the snapshot retention and the VACUUM's start.
    const release = lease.release(this, 'ReleaseLease', runName, '{% $fence %}');
    release.addCatch(anythingErased, { errors: [LEASE_TAKEN] });
    release.next(anythingErased);
    // After the passes, still under the lease (the compaction writes the same table): the identity
    // facts of every finished pass deleted in one statement — passes run ten at a time, and MERGEs into
    // the same Iceberg files at once would fail — then the table's files rewritten, then the passes' ids
    // removed. A pass an earlier run finished but did not get here is taken too.
    const identities = this.identityErase(props, runName);
    identities.end.next(release);
    plan.next(
      sfn.Choice.jsonata(this, 'AnyCustomerDue?')
        .when(sfn.Condition.jsonata('{% $states.input.customers = 0 %}'), identities.start)
        .otherwise(passes.next(identities.start)),
    );

    const take = lease.take(this, 'TakeLease', runName);
    const waitForLease = new sfn.Wait(this, 'WaitForLease', {
      time: sfn.WaitTime.duration(Duration.seconds(LEASE_POLL_SECONDS)),
    });
    // CDK keeps no Output on a task's catch: the tries are counted in a variable instead.
    const leaseBusy = new sfn.Pass(this, 'LeaseBusy', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      assign: { polls: '{% $polls + 1 %}' },
    }).next(
      sfn.Choice.jsonata(this, 'TryAgain?')
        .when(sfn.Condition.jsonata(`{% $polls < ${LEASE_POLLS} %}`), waitForLease.next(take))
        .otherwise(new sfn.Succeed(this, 'LeaseBusyThisHour')),
    );
    take.addCatch(leaseBusy, { errors: [LEASE_TAKEN] });
    const definition = new sfn.Pass(this, 'Start', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      assign: { failedCustomers: '{% [] %}', erasedAny: '{% false %}', polls: '{% 0 %}' },
    })
      .next(take)
      .next(plan);

    this.stateMachine = jobStateMachine(this, {
      stateMachineName,
      definition: definition,
      // Up to 6 h waiting for a compaction, then the passes (the VACUUM runs later, on its own).
      timeout: Duration.hours(14),
      comment: 'Executes Segment delete requests: erases each user from every place the lake keeps data',
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    fn.grantInvoke(this.stateMachine);
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.vacuumStateMachine.stateMachineArn],
      }),
    );
    lease.grant(this.stateMachine);
    this.grantAthena(this.stateMachine.role, props, { readsLanding: true });

    this.scheduleDeadLetters = scheduleJob(this, {
      id: 'Hourly',
      machine: this.stateMachine,
      // Hourly, at its own minute (HOURLY_START_MINUTE): never at the same moment as the other job.
      schedule: scheduler.ScheduleExpression.cron({ minute: String(HOURLY_START_MINUTE.erasure) }),
      description: 'Segment delete requests executed within the erase window',
      deadLetterReason:
        "The schedule's dead-letter queue is the end of the line: its messages alarm (lib/monitoring.ts) and are looked at by a person.",
    }).deadLetters;
    this.acknowledge(props);
  }

  /** The run's identity erase (erase-steps.ts, identityErase): its first state, and its last. */
  private identityErase(props: UserErasureProps, runName: string) {
    const { athenaTask, step } = this.tasks(props);
    const renew = (id: string) => props.lease.renew(this, id, runName, '{% $fence %}');
    const plan = step('PlanIdentityErase', { step: 'identityErase' }, '{% $states.result.Payload %}');
    const done = new sfn.Pass(this, 'IdentitiesErased', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: {},
    });
    const erase = renew('RenewBeforeDeleteIdentities')
      .next(athenaTask('DeleteIdentities', '{% $states.input.deleteSql %}', '{% $states.input %}'))
      .next(renew('RenewBeforeRewriteIdentities'))
      .next(athenaTask('RewriteIdentities', '{% $states.input.rewriteSql %}', '{% $states.input %}'))
      .next(
        step(
          'RemoveErasedIds',
          { step: 'removeErasedIds', passes: '{% $states.input.passes %}' },
          '{% {} %}',
        ),
      )
      .next(done);
    plan.next(
      sfn.Choice.jsonata(this, 'AnyIdentitiesToErase?')
        .when(sfn.Condition.jsonata('{% $count($states.input.passes) > 0 %}'), erase)
        .otherwise(done),
    );
    return { start: plan, end: done };
  }

  /** What ingest needs: record a request (a conditional put), read a customer's, and the audit key. */
  grantRecord(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:Query'],
      resourceArns: [this.table.tableArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.auditKey.secretArn],
    });
  }

  /** What the admin API needs to list a customer's requests. */
  grantList(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.table.tableArn] });
  }

  /** The steps function: the table, the key, and the lake prefixes an erase rewrites. */

  /** The run's tasks: an Athena statement and a step of the erase function, each a state of this machine. */
  private tasks(props: UserErasureProps) {
    const athenaTask = (taskId: string, queryString: string, output: Record<string, string> | string = {}) =>
      athenaTask_(this, taskId, {
        queryString,
        workGroupName: props.workGroupName,
        databaseName: props.databaseName,
        output,
      });
    const step = (taskId: string, payload: Record<string, unknown>, output: string) =>
      lambdaStep(this, taskId, this.steps.function, payload, output);
    return { athenaTask, step };
  }

  /**
   * One customer's pass, in a child execution: link the ids, plan the objects, rewrite them, then DELETE
   * and rewrite the curated rows and count what is left — each step after renewing the lease (fencing).
   * It answers whether the customer was erased; a failed pass is named at the end of the run.
   */
  private erasePass(props: UserErasureProps): sfn.Parallel {
    const { athenaTask, step } = this.tasks(props);
    const customer = '{% $states.input.customerId %}';
    const pass = '{% $states.input.passId %}';
    const guarded = (id: string, state: sfn.IChainable & sfn.INextable) =>
      props.lease.renew(this, `Renew${id}`, '{% $holder %}', '{% $fence %}').next(state);
    const link = athenaTask('LinkIds', '{% $states.input.linkSql %}', {
      customerId: customer,
      passId: pass,
      linkQueryId: '{% $states.result.QueryExecution.QueryExecutionId %}',
    });
    const prepare = step(
      'PreparePass',
      { step: 'prepare', customerId: customer, passId: pass, linkQueryId: '{% $states.input.linkQueryId %}' },
      `{% $merge([$states.result.Payload, {"customerId": $states.input.customerId, "passId": $states.input.passId}]) %}`,
    );
    // A query whose id the next steps read: its statement from the input, its id kept beside it.
    const query = (id: string, sqlField: string, idField: string) =>
      athenaTask(
        id,
        `{% $states.input.${sqlField} %}`,
        `{% $merge([$states.input, {"${idField}": $states.result.QueryExecution.QueryExecutionId}]) %}`,
      );
    // The landing objects that hold the ids, found by Athena ("$path"): a pass reads those only.
    const findObjects = query('FindObjects', 'objectsSql', 'objectsQueryId');
    const planObjects = step(
      'PlanObjects',
      {
        step: 'planObjects',
        customerId: customer,
        passId: pass,
        objectsQueryId: '{% $states.input.objectsQueryId %}',
      },
      '{% $merge([$states.input, $states.result.Payload]) %}',
    );
    const item = (field: string) => `$states.context.Map.Item.Value.${field}`;
    const rewrite = sfn.DistributedMap.jsonata(this, 'RewriteObjects', {
      itemReader: new PrefixedJsonItemReader({
        bucket: props.lake,
        key: '{% $states.input.itemsKey %}',
        prefix: ERASE_PASSES_PREFIX,
      }),
      // A distributed Map's items see no variable of the run: the lease they renew travels with each.
      itemSelector: {
        customerId: `{% ${item('customerId')} %}`,
        passId: `{% ${item('passId')} %}`,
        keys: `{% ${item('keys')} %}`,
        stale: `{% $exists(${item('stale')}) and ${item('stale')} %}`,
        holder: '{% $holder %}',
        fence: '{% $fence %}',
      },
      // REWRITE_CONCURRENCY batches of a pass at once, ERASE_CONCURRENCY passes at once: 20 invocations
      // in all, each reading and writing its objects one at a time — far below S3's 3,500 writes/s per
      // prefix, and 2 % of the account's executions (domain/core/erasure/erase-capacity.ts).
      maxConcurrency: REWRITE_CONCURRENCY,
      toleratedFailurePercentage: 0,
      outputs: '{% $states.input %}',
    });
    rewrite.itemProcessor(
      props.lease
        .renew(this, 'RenewBeforeBatch', '{% $states.input.holder %}', '{% $states.input.fence %}')
        .next(
          step(
            'RewriteBatch',
            {
              step: 'rewrite',
              customerId: '{% $states.input.customerId %}',
              passId: '{% $states.input.passId %}',
              keys: '{% $states.input.keys %}',
              stale: '{% $states.input.stale %}',
            },
            '{% {} %}',
          ),
        ),
    );
    const countBefore = query('CountCurated', 'countCuratedSql', 'curatedBefore');
    const deleteRows = athenaTask(
      'DeleteCurated',
      '{% $states.input.deleteCuratedSql %}',
      '{% $states.input %}',
    );
    const rewriteFiles = athenaTask(
      'RewriteCurated',
      '{% $states.input.rewriteCuratedSql %}',
      '{% $states.input %}',
    );
    const countAfter = query('VerifyCurated', 'countCuratedSql', 'curatedAfter');
    const countLanding = query('VerifyLanding', 'countLandingSql', 'landingAfter');
    const finish = step(
      'FinishPass',
      {
        step: 'finish',
        customerId: customer,
        passId: pass,
        curatedBefore: '{% $states.input.curatedBefore %}',
        curatedAfter: '{% $states.input.curatedAfter %}',
        landingAfter: '{% $states.input.landingAfter %}',
      },
      '{% $states.result.Payload %}',
    );
    // Each child answers what became of its customer; a pass that fails is named at the end (the run
    // fails, which alarms) and retried by the next run from where its files say it stopped, while the
    // other customers go on.
    const erased = new sfn.Pass(this, 'CustomerErased', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: '{% {"customerId": $customerId, "erased": true} %}',
    });
    const failed = new sfn.Pass(this, 'CustomerFailed', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: '{% {"customerId": $customerId, "failed": true} %}',
    });
    const onePass = new sfn.Parallel(this, 'ErasePass', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: '{% $states.input %}',
    }).branch(
      guarded('BeforeLink', link)
        .next(guarded('BeforePrepare', prepare))
        .next(guarded('BeforeFindObjects', findObjects))
        .next(guarded('BeforePlanObjects', planObjects))
        .next(guarded('BeforeRewrite', rewrite))
        .next(guarded('BeforeCount', countBefore))
        .next(guarded('BeforeDelete', deleteRows))
        .next(guarded('BeforeRewriteFiles', rewriteFiles))
        .next(guarded('BeforeVerify', countAfter))
        .next(guarded('BeforeVerifyLanding', countLanding))
        .next(finish),
    );
    onePass.addCatch(failed);
    onePass.next(erased);
    return onePass;
  }

  /**
   * The customers' passes, ERASE_CONCURRENCY at once, each child execution holding the run's lease name
   * and fence (`$holder`, `$fence`); the run learns which customers were erased and which failed.
   */
  private erasePasses(props: UserErasureProps, runName: string): sfn.DistributedMap {
    const onePass = this.erasePass(props);
    const passItem = (field: string) => `{% $states.context.Map.Item.Value.${field} %}`;
    const passes = sfn.DistributedMap.jsonata(this, 'ErasePasses', {
      itemReader: new PrefixedJsonItemReader({
        bucket: props.lake,
        key: '{% $states.input.itemsKey %}',
        prefix: ERASE_PASSES_PREFIX,
      }),
      itemSelector: {
        customerId: passItem('customerId'),
        passId: passItem('passId'),
        linkSql: passItem('linkSql'),
        holder: runName,
        fence: '{% $fence %}',
      },
      // ERASE_CONCURRENCY customers at once (domain/core/erasure/erase-capacity.ts); each child
      // execution has its own history, so a run stays far below Step Functions' 25,000 events.
      maxConcurrency: ERASE_CONCURRENCY,
      toleratedFailurePercentage: 0,
      outputs: '{% $states.result %}',
      assign: {
        erasedAny: '{% $count($states.result[erased]) > 0 %}',
        failedCustomers: '{% $append([], $states.result[failed].customerId) %}',
      },
    });
    passes.itemProcessor(
      new sfn.Pass(this, 'HoldLease', {
        queryLanguage: sfn.QueryLanguage.JSONATA,
        assign: {
          holder: '{% $states.input.holder %}',
          fence: '{% $states.input.fence %}',
          customerId: '{% $states.input.customerId %}',
        },
      }).next(onePass),
    );
    return passes;
  }

  private grantSteps(props: UserErasureProps): void {
    const fn = this.steps.function;
    const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }),
      );
    allow(['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:PutItem'], [this.table.tableArn]);
    allow(['secretsmanager:GetSecretValue'], [this.auditKey.secretArn]);
    const prefixes = erasePrefixPatterns();
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      prefixes.map((p) => props.lake.arnForObjects(`${p}*`)),
    );
    allow(['s3:ListBucket', 's3:ListBucketVersions'], [props.lake.bucketArn], {
      StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) },
    });
    allow(
      ['s3:GetObject', 's3:DeleteObject'],
      [props.queryResults.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
    );
    // After the VACUUM: the old versions of the curated files it removed (purgeCurated).
    allow(['s3:DeleteObjectVersion'], [props.lake.arnForObjects(`${CURATED_AREA}/*`)]);
    allow(['s3:ListBucketVersions'], [props.lake.bucketArn], {
      StringLike: { 's3:prefix': [`${CURATED_AREA}/*`] },
    });
  }

  /**
   * The VACUUM of the curated table, once the snapshots that held erased rows are old enough to expire:
   * wait SNAPSHOT_AGE_SECONDS and ten minutes, then VACUUM, then delete the old versions of the files it
   * removed (the bucket is versioned: VACUUM's deletes leave the bytes as noncurrent versions, which the
   * lifecycle rule would keep for days) — so the erased rows leave the bucket ~7 h after the pass.
   */
  private vacuumLater(props: UserErasureProps, workGroupName: string, db: string): sfn.StateMachine {
    const scope = new Construct(this, 'VacuumLater');
    const stack = Stack.of(this);
    const wait = new sfn.Wait(scope, 'WaitForSnapshotAge', {
      time: sfn.WaitTime.duration(Duration.seconds(SNAPSHOT_AGE_SECONDS + 600)),
    });
    const vacuum = athenaTask_(scope, 'Vacuum', {
      queryString: `{% ${JSON.stringify(athenaVacuum(db))} %}`,
      workGroupName,
      databaseName: db,
    });
    const vacuumFacts = athenaTask_(scope, 'VacuumIdentityFacts', {
      queryString: `{% ${JSON.stringify(athenaVacuumIdentityFacts(db))} %}`,
      workGroupName,
      databaseName: db,
    });
    const purge = lambdaStep(
      scope,
      'RemoveOldCuratedVersions',
      this.steps.function,
      { step: 'purgeCurated' },
      '{% $states.result.Payload %}',
    );
    // Bounded per invocation (PURGE_PAGES listings); again until nothing is left.
    purge.next(
      sfn.Choice.jsonata(scope, 'MoreOldVersions?')
        .when(sfn.Condition.jsonata('{% $states.input.more %}'), purge)
        .otherwise(new sfn.Succeed(scope, 'Done')),
    );
    const machine = jobStateMachine(scope, {
      stateMachineName: erasureVacuumStateMachineName(stack.stackName),
      definition: wait.next(vacuum).next(vacuumFacts).next(purge),
      // 6 h 10 min of waiting, then one VACUUM (Athena's 30-minute DML limit).
      timeout: Duration.hours(7),
      comment: 'VACUUM of the curated table hours after an erase pass, so erased rows leave its files',
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.grantAthena(machine.role, props, { readsLanding: false });
    this.steps.function.grantInvoke(machine);
    const lake = logicalRef(props.lake as unknown as Construct);
    const results = logicalRef(props.queryResults as unknown as Construct);
    const reasons: Record<string, string> = {
      'Resource::*':
        'X-Ray trace segments and CloudWatch Logs vended log deliveries cannot be scoped to a resource: the VACUUM machine traces and logs like the others.',
      [`Resource::<${lake}.Arn>/${CURATED_AREA}/*`]:
        'Iceberg names its data and metadata files itself under the table location curated/events/; VACUUM reads its metadata and deletes the expired files.',
      [`Resource::<${results}.Arn>/${ATHENA_RESULTS_PREFIX}*`]:
        "The VACUUM's result, athena/<query id>.csv, a name Athena gives when the query runs.",
      [`Resource::${nagText(stack.resolve(stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` })))}`]: `VACUUM reads the tables of this stack's database and commits to events_curated (table/${props.databaseName}/).`,
      [`Resource::<${logicalRef(this.steps.function)}.Arn>:*`]:
        "The erase steps function's versions: the machine invokes it to delete the old versions VACUUM left.",
    };
    acknowledgeWildcards(machine, reasons);
    return machine;
  }

  /** Athena for a machine's statements; `readsLanding`: the pass's link and verification read events/. */
  private grantAthena(
    role: iam.IRole,
    props: UserErasureProps,
    { readsLanding }: { readsLanding: boolean },
  ): void {
    const stack = Stack.of(this);
    const allow = (actions: string[], resources: string[]) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    allow(
      ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName })],
    );
    allow(
      ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:UpdateTable'],
      [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` }),
      ],
    );
    allow(['s3:GetBucketLocation', 's3:ListBucket'], [props.lake.bucketArn, props.queryResults.bucketArn]);
    // The link, objects and verification queries read the customer's landing events (the objects query
    // the quarantine too); the DELETE, OPTIMIZE and
    // VACUUM read and write the curated table's files (VACUUM deletes the expired ones).
    if (readsLanding)
      allow(
        ['s3:GetObject'],
        [
          props.lake.arnForObjects(`${areaPrefix('events')}*`),
          props.lake.arnForObjects(`${areaPrefix('quarantine')}*`),
          props.lake.arnForObjects(`${ERASE_PASSES_PREFIX}/*`),
        ],
      );
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      [props.lake.arnForObjects(`${CURATED_AREA}/*`)],
    );
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [props.queryResults.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
    );
  }

  private acknowledge(props: UserErasureProps): void {
    const stack = Stack.of(this);
    const lake = logicalRef(props.lake as unknown as Construct);
    const results = logicalRef(props.queryResults as unknown as Construct);
    const stepReasons: Record<string, string> = {
      [`Resource::<${results}.Arn>/${ATHENA_RESULTS_PREFIX}*`]:
        "The link and count queries' results, athena/<query id>.csv, named when they run: read, and the link result (it lists ids) deleted.",
    };
    stepReasons[`Resource::<${lake}.Arn>/${CURATED_AREA}/*`] =
      "After a VACUUM, the old versions of the files it removed under curated/events/ are deleted by version id: Iceberg's file names, known when listed.";
    for (const p of erasePrefixPatterns())
      stepReasons[`Resource::<${lake}.Arn>/${p}*`] =
        `An erase rewrites the objects under ${p} that hold the user's rows, and deletes their old versions: object names are Firehose's, known when listed.`;
    acknowledgeWildcards(this.steps.function.role!, stepReasons);
    const reasons: Record<string, string> = {
      [`Resource::<${lake}.Arn>/events/*`]:
        "Athena reads the customer's landing events under events/ to link ids, find the objects to rewrite and verify the erase (read only).",
      [`Resource::<${lake}.Arn>/quarantine/*`]:
        'Athena reads the quarantine under quarantine/ (a shared partition: the customer is a column) to find the objects that name the ids (read only).',
      [`Resource::<${lake}.Arn>/${ERASE_PASSES_PREFIX}/*`]:
        "The Distributed Map reads a pass's batches (items.json) under erasure/_passes/<customer>/<pass>/.",
      [`Resource::<${lake}.Arn>/${CURATED_AREA}/*`]:
        'Iceberg names its data and metadata files itself under the table location curated/events/; DELETE, OPTIMIZE and VACUUM rewrite and remove them.',
      [`Resource::<${results}.Arn>/${ATHENA_RESULTS_PREFIX}*`]:
        'Athena writes each query result as athena/<query id>.csv, a name known only when the query runs.',
      [`Resource::${nagText(stack.resolve(stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` })))}`]: `The pass reads the tables of this stack's database and commits to events_curated (table/${props.databaseName}/).`,
      ...distributedMapJobReasons(this.stateMachine, this.steps.function, "erase steps'"),
    };
    acknowledgeWildcards(this.stateMachine, reasons);
  }
}

/** Days of point-in-time recovery for an erase window: the erase runs a third in, so a day less than two thirds. */
function recoveryDays(windowHours: number): number {
  return Math.max(1, Math.floor((windowHours * 2) / 3 / 24) - 1);
}

/** The lake prefixes an erase reads and rewrites, as IAM patterns: per customer ones become `…customer_id=*`. */
function erasePrefixPatterns(): string[] {
  const any = '__any__';
  const patterns = [...erasePrefixes(any), ...awsAudiencePrefixes(any)].map((p) =>
    p.prefix.replace(any, '*'),
  );
  return [
    ...new Set([...patterns, `${ERASE_PASSES_PREFIX}/`, `${ERASED_ROWS_PREFIX}/`, INTENT_FEATURES_PREFIX]),
  ];
}
