import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import {
  CURATED_PREFIX,
  INTENT_FEATURES_PREFIX,
  INTENT_REPORTS_PREFIX,
  INTENT_SHARES_COLUMNS,
  INTENT_SHARES_TABLE,
  intentSharesPrefix,
  SCORES_AREA,
  SCORES_COLUMNS,
  SCORES_PARTITIONS,
  SCORES_TABLE,
  scoresPartitionPath,
} from '../domain/contract/curated-table';
import type { IntentEnvironment } from '../domain/contract/environment';
import { PREDICTIONS_PREFIX } from '../domain/contract/predictions';
import { HouseFunction } from './house-function';
import { acknowledgeWildcards, logicalRef, nagText } from './nag-text';
import { parquetTable } from './parquet-table';
import { jobStateMachine } from './scheduled-job';

export interface IntentScoringProps {
  readonly lake: s3.IBucket;
  readonly queryResults: s3.IBucket;
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Intent scores on AWS, the job `npm run intent` runs locally, started on demand with
 * `{"customer": "acme", "event": "signed_up"}` (optionally `asOf`, `lookbackDays`, `horizonDays`):
 * a Lambda plans (dates, features, with Athena), Athena UNLOADs two bounded training samples to
 * Parquet, a Lambda trains and validates with the same core as the local command and writes the chosen
 * model as SQL, Athena scores every eligible user with it into scores/ — the `scores` table — and a
 * last step saves the prediction for the weekly refresh.
 */
export class IntentScoring extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly plan: HouseFunction;
  readonly score: HouseFunction;

  constructor(scope: Construct, id: string, props: IntentScoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const environment: IntentEnvironment = {
      DATABASE: props.databaseName,
      WORKGROUP: props.workGroupName,
      LAKE_BUCKET: props.lake.bucketName,
    };
    this.plan = new HouseFunction(this, 'Plan', {
      entry: 'intent-prepare/handler.ts',
      description: 'Intent scores, step 1: dates and feature queries (Athena)',
      environment,
      // Three small Athena queries, each a few seconds.
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.score = new HouseFunction(this, 'Score', {
      entry: 'intent-score/handler.ts',
      description:
        'Intent scores, steps 3 and 5: train and validate (logistic regression, boosted trees), write the model as SQL; finish',
      environment,
      // Lambda's limits: 15 minutes and up to 10,240 MB; two samples of 50,000 users fit well inside both
      // (the memory buys CPU: training time scales with it).
      timeout: Duration.minutes(15),
      memorySize: 3_008,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    const workgroupArn = stack.formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: props.workGroupName,
    });
    const glueArns = [
      stack.formatArn({ service: 'glue', resource: 'catalog' }),
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
      stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` }),
    ];
    /** What a principal running Athena queries on the curated table needs. */
    const athenaReader = (principal: iam.IGrantable) => {
      const allow = (actions: string[], resources: string[]) =>
        principal.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
      allow(
        [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
        ],
        [workgroupArn],
      );
      allow(['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables'], glueArns);
      allow(['s3:GetBucketLocation', 's3:ListBucket'], [props.lake.bucketArn, props.queryResults.bucketArn]);
      allow(['s3:GetObject'], [props.lake.arnForObjects(`${CURATED_PREFIX}*`)]);
      allow(
        ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        [props.queryResults.arnForObjects('athena/*')],
      );
    };
    athenaReader(this.plan.role);
    const features = props.lake.arnForObjects(`${INTENT_FEATURES_PREFIX}*`);
    this.score.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.lake.bucketArn] }),
    );
    this.score.role.addToPrincipalPolicy(
      // Reads the samples, writes the trees' table of shares (intentSharesPrefix), removes the run's files.
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [features],
      }),
    );
    // The saved predictions the weekly refresh runs again (read the previous, write the new).
    this.score.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.lake.arnForObjects(`${PREDICTIONS_PREFIX}*`)],
      }),
    );
    this.score.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.lake.arnForObjects(`${INTENT_REPORTS_PREFIX}*`)],
      }),
    );
    // Athena writes the scores; the function empties the date's partition first (and after a failure).
    this.score.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: [props.lake.arnForObjects(`${SCORES_AREA}/*`)],
      }),
    );

    /** A statement run by Athena and waited for (the .sync integration), retried when Athena is busy. */
    const athenaStep = (id: string, queryString: string) =>
      new sfn.CustomState(this, id, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${stack.partition}:states:::athena:startQueryExecution.sync`,
          Arguments: {
            QueryString: queryString,
            WorkGroup: props.workGroupName,
            QueryExecutionContext: { Database: props.databaseName },
          },
          Output: {},
          Retry: [
            {
              ErrorEquals: ['Athena.TooManyRequestsException'],
              IntervalSeconds: 10,
              BackoffRate: 2,
              MaxAttempts: 5,
            },
          ],
        },
      });
    const planStep = tasks.LambdaInvoke.jsonata(this, 'PlanFeatures', {
      lambdaFunction: this.plan.function,
      payload: sfn.TaskInput.fromText('{% $states.input %}'),
      outputs: '{% $states.result.Payload %}',
      assign: { plan: '{% $states.result.Payload %}' },
      retryOnServiceExceptions: true,
    });
    const unloads = sfn.Map.jsonata(this, 'UnloadFeatures', {
      items: sfn.ProvideItems.jsonata('{% $states.input.unloads %}'),
      // Two of the (up to four) cutoffs' samples at once: Athena runs them in parallel, well under its
      // 20–25 DML queries a region.
      maxConcurrency: 2,
      outputs: '{% $plan %}',
    });
    unloads.itemProcessor(athenaStep('UnloadFeatureSet', '{% $states.input.sql %}'));
    const trainStep = tasks.LambdaInvoke.jsonata(this, 'TrainModel', {
      lambdaFunction: this.score.function,
      payload: sfn.TaskInput.fromText('{% $merge([$plan, {"step": "train"}]) %}'),
      outputs: '{% $states.result.Payload %}',
      assign: { trained: '{% $states.result.Payload %}' },
      retryOnServiceExceptions: true,
    });
    // Every eligible user scored where the features are: the model as SQL, run by Athena (no function
    // holds the population; the .sync integration waits for it).
    const scoreInAthena = athenaStep('ScoreInAthena', '{% $trained.scoreSql %}');
    // The scores' spread in the report slice's bins, UNLOADed beside the features: the finish step
    // refuses a scoring whose probabilities are all alike or have shifted (score-check.ts).
    const checkScores = athenaStep('CheckScores', '{% $trained.checkSql %}');
    const finishStep = tasks.LambdaInvoke.jsonata(this, 'FinishRun', {
      lambdaFunction: this.score.function,
      payload: sfn.TaskInput.fromText('{% $merge([$trained, {"step": "finish"}]) %}'),
      outputs: '{% $states.result.Payload %}',
      retryOnServiceExceptions: true,
    });

    // A failed step is caught: the run's features and any partial scores are removed (the score
    // function), then the run fails, which alarms (IntentFailed). A lifecycle rule removes what even
    // that misses.
    const failed = new sfn.Fail(this, 'IntentRunFailed', {
      error: 'IntentRunFailed',
      cause: 'a step of the intent run failed; its features were removed (see the execution history)',
    });
    const remove = (id: string, payload: string) =>
      tasks.LambdaInvoke.jsonata(this, id, {
        lambdaFunction: this.score.function,
        payload: sfn.TaskInput.fromText(payload),
        outputs: '{% $states.input %}',
        retryOnServiceExceptions: true,
      }).next(failed);
    // Before Athena scores, the date's partition still holds an earlier run's scores: left alone.
    const removeFeatures = remove('RemoveFeatures', '{% {"step": "remove", "runId": $plan.runId} %}');
    const removePartial = remove(
      'RemoveFeaturesAndScores',
      '{% {"step": "remove", "runId": $plan.runId, "scoresPrefix": $plan.scoresPrefix} %}',
    );
    for (const step of [unloads, trainStep]) step.addCatch(removeFeatures, { errors: ['States.ALL'] });
    for (const step of [scoreInAthena, checkScores, finishStep])
      step.addCatch(removePartial, { errors: ['States.ALL'] });

    this.stateMachine = jobStateMachine(this, {
      definition: planStep
        .next(unloads)
        .next(trainStep)
        .next(scoreInAthena)
        .next(checkScores)
        .next(finishStep),
      // Athena DML statements of at most 30 minutes each (athena-rules.ts): two waves of UNLOADs (up
      // to four, two at a time), the scoring and its check — 4 × 30 min — and the functions (plan 5 min,
      // train and finish 15 each): 2 h 35 min at most, so 3 h.
      timeout: Duration.hours(3),
      comment: 'Intent scores for one customer and conversion event (npm run intent, on AWS)',
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // The UNLOADs run with the state machine's role: Athena reads the curated table and writes the
    // feature sets under intent/_features/; the check reads the scores it wrote.
    athenaReader(this.stateMachine);
    // The check reads the scores it wrote; the scoring joins the run's table of shares.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          props.lake.arnForObjects(`${SCORES_AREA}/*`),
          props.lake.arnForObjects(`${intentSharesPrefix('*')}*`),
        ],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [features, props.lake.arnForObjects(`${SCORES_AREA}/*`)],
      }),
    );
    this.scoresTable(props);
    this.sharesTable(props);
    this.acknowledge(props);
  }

  /** The `scores` table over scores/ (Parquet, as locally), partitions projected, no crawler. */
  private scoresTable(props: IntentScoringProps): void {
    parquetTable(this, 'ScoresTable', {
      databaseName: props.databaseName,
      name: SCORES_TABLE,
      lake: props.lake,
      area: SCORES_AREA,
      columns: SCORES_COLUMNS,
      partitions: SCORES_PARTITIONS,
    });
  }

  /**
   * The `intent_shares` table: each run's table of shares (the trees' reasons, Model.contributionsSql),
   * JSON lines under the run's own prefix; the run id is injected, so a statement reads its run alone.
   */
  private sharesTable(props: IntentScoringProps): void {
    new glue.CfnTable(this, 'SharesTable', {
      catalogId: Stack.of(this).account,
      databaseName: props.databaseName,
      tableInput: {
        name: INTENT_SHARES_TABLE,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.run_id.type': 'injected',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own ${...} placeholder, not JavaScript
          'storage.location.template': `s3://${props.lake.bucketName}/${intentSharesPrefix('${run_id}')}`,
        },
        partitionKeys: [{ name: 'run_id', type: 'string' }],
        storageDescriptor: {
          location: `s3://${props.lake.bucketName}/${INTENT_FEATURES_PREFIX}`,
          columns: INTENT_SHARES_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        },
      },
    });
  }

  private acknowledge(props: IntentScoringProps): void {
    const stack = Stack.of(this);
    const lake = logicalRef(props.lake as unknown as Construct);
    const results = logicalRef(props.queryResults as unknown as Construct);
    const tables = `Resource::${nagText(stack.resolve(stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/*` })))}`;
    const athenaReader = {
      [`Resource::<${lake}.Arn>/curated/*`]:
        'Athena reads the Iceberg files of events_curated, which it names itself under curated/ (read only).',
      [`Resource::<${results}.Arn>/athena/*`]:
        'Athena writes each query result as athena/<query id>.csv, named when the query runs; the intent job reads them back.',
      [tables]: `The intent queries read the tables of this stack's database (table/${props.databaseName}/: events_curated).`,
    };
    const features = {
      [`Resource::<${lake}.Arn>/intent/_features/*`]:
        "UNLOAD names its own files under the run's prefix intent/_features/<run id>/ (the run id is made at run time); the training step writes the run's table of shares there and the scoring reads it back.",
    };
    const acknowledge = (scope: Construct, reasons: Record<string, string>) => {
      acknowledgeWildcards(scope, reasons);
    };
    acknowledge(this.plan, athenaReader);
    acknowledge(this.score, {
      ...features,
      [`Resource::<${lake}.Arn>/scores/*`]: `Before Athena scores a date, the function empties its partition ${SCORES_AREA}/${scoresPartitionPath('<id>', '<key>', '<date>')}, known only per run (DeleteObject only).`,
      [`Resource::<${lake}.Arn>/${PREDICTIONS_PREFIX}*`]:
        'Each saved prediction is intent/predictions/customer_id=<id>/<event key>.json, known only per run: read and rewritten after scoring.',
      [`Resource::<${lake}.Arn>/intent/reports/*`]:
        "Each run's report lands under intent/reports/<customer, event, date>/, known only per run (PutObject only).",
    });
    acknowledge(this.stateMachine, {
      ...athenaReader,
      ...features,
      [`Resource::<${lake}.Arn>/${intentSharesPrefix('*')}*`]:
        "The scoring joins the run's table of shares under intent/_features/<run id>/shares/, the run id made at run time (GetObject only).",
      [`Resource::<${lake}.Arn>/scores/*`]: `Athena's scoring UNLOAD names its own files in the date's partition ${SCORES_AREA}/${scoresPartitionPath('<id>', '<key>', '<date>')}, known only per run.`,
      [`Resource::<${logicalRef(this.plan.function)}.Arn>:*`]:
        'Step Functions may invoke any version of the planning function (the LambdaInvoke task grants its versions).',
      [`Resource::<${logicalRef(this.score.function)}.Arn>:*`]:
        'Step Functions may invoke any version of the scoring function (the LambdaInvoke task grants its versions).',
      'Resource::*':
        'X-Ray trace segments and the vended log delivery of the intent state machine cannot be scoped to a resource.',
    });
  }
}
