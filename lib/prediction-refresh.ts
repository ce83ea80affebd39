import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import type { RefreshEnvironment } from '../domain/contract/environment';
import { PREDICTIONS_PREFIX } from '../domain/contract/predictions';
import { HouseFunction } from './house-function';
import { acknowledgeWildcards, logicalRef, nagText } from './nag-text';
import { jobStateMachine, scheduleJob } from './scheduled-job';

export interface PredictionRefreshProps {
  readonly lake: s3.IBucket;
  /** One intent run (lib/intent-scoring.ts), started per prediction due. */
  readonly intent: sfn.IStateMachine;
  /** One customer's audience run (lib/prediction-audiences.ts), started per customer. */
  readonly audiences: sfn.IStateMachine;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Runs at once in each half of the refresh: two intent runs (each three UNLOADs, then training) or two
 * customers' audience runs keep the account under Athena's 20 concurrent DML queries
 * (domain/contract/sql/athena-rules.ts) beside the hourly compaction and erase runs.
 *
 * @internal
 */
export const REFRESH_CONCURRENCY = 2;

/**
 * The weekly refresh, what `npm run intent -- refresh` and `npm run audience -- refresh`/`sync` do
 * locally, on Segment's cadence: every saved prediction whose last run is a week old is run again
 * (rescored, and retrained: a run always retrains), then every customer's audiences are rebuilt from
 * the new scores and synced to Segment. A run that fails is caught so the others still run; the
 * refresh then fails, which alarms (RefreshFailed), naming what failed.
 */
export class PredictionRefresh extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly plan: HouseFunction;
  readonly scheduleDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: PredictionRefreshProps) {
    super(scope, id);
    const environment: RefreshEnvironment = { LAKE_BUCKET: props.lake.bucketName };
    this.plan = new HouseFunction(this, 'Plan', {
      entry: 'refresh-plan/handler.ts',
      description: 'Weekly refresh, step 1: the saved predictions due and the customers with audiences',
      environment,
      // A listing and one small object per saved prediction.
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.plan.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.lake.bucketArn] }),
    );
    this.plan.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.lake.arnForObjects(`${PREDICTIONS_PREFIX}*`)],
      }),
    );

    const planStep = tasks.LambdaInvoke.jsonata(this, 'PlanRefresh', {
      lambdaFunction: this.plan.function,
      outputs: '{% $states.result.Payload %}',
      assign: { plan: '{% $states.result.Payload %}' },
      retryOnServiceExceptions: true,
    });
    /** A Map that starts one run per item and waits for it; a failed run is an item result, not an end. */
    const eachRun = (name: string, machine: sfn.IStateMachine, items: string, what: string) => {
      const run = tasks.StepFunctionsStartExecution.jsonata(this, `Run${name}`, {
        stateMachine: machine,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        input: sfn.TaskInput.fromText('{% $states.input %}'),
        outputs: `{% {"${what}": $states.input, "ok": true} %}`,
      });
      run.addCatch(new sfn.Pass(this, `${name}Failed`), {
        errors: ['States.ALL'],
        outputs: `{% {"${what}": $states.input, "ok": false, "error": $states.errorOutput.Error} %}`,
      });
      const map = sfn.Map.jsonata(this, `Each${name}`, {
        items: sfn.ProvideItems.jsonata(items),
        maxConcurrency: REFRESH_CONCURRENCY,
        outputs: '{% $states.result %}',
        assign: { [name.toLowerCase()]: '{% $states.result %}' },
      });
      map.itemProcessor(run);
      return map;
    };
    const rescore = eachRun('Prediction', props.intent, '{% $plan.predictions %}', 'prediction');
    const audiences = eachRun('Customer', props.audiences, '{% $plan.customers %}', 'customer');
    const outcome = new sfn.Choice(this, 'AllRan')
      .when(
        sfn.Condition.jsonata('{% $count($prediction[ok = false]) + $count($customer[ok = false]) > 0 %}'),
        new sfn.Fail(this, 'RefreshIncomplete', {
          error: 'RefreshIncomplete',
          cause:
            '{% "not refreshed: " & $join($append($prediction[ok = false].(prediction.customer & " " & prediction.event), $customer[ok = false].customer.customer), ", ") %}',
        }),
      )
      .otherwise(new sfn.Succeed(this, 'Refreshed'));

    this.stateMachine = jobStateMachine(this, {
      definition: planStep.next(rescore).next(audiences).next(outcome),
      // Every intent run is bounded by its own hour, every audience run by its six.
      timeout: Duration.hours(24),
      comment: 'Weekly: rerun the saved predictions due, then rebuild and sync every customer’s audiences',
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.scheduleDeadLetters = scheduleJob(this, {
      id: 'Weekly',
      machine: this.stateMachine,
      // Segment rescores weekly; Mondays 06:00 UTC, after the weekend's events are compacted.
      schedule: scheduler.ScheduleExpression.cron({ weekDay: 'MON', hour: '6', minute: '0' }),
      description: 'Predictions and audiences: weekly rescoring, audience rebuild and sync to Segment',
      deadLetterReason:
        'The weekly refresh schedule’s dead-letter queue is the end of the line: its messages alarm (lib/monitoring.ts) and are looked at by a person.',
    }).deadLetters;
    this.acknowledge(props);
  }

  private acknowledge(props: PredictionRefreshProps): void {
    const stack = Stack.of(this);
    const lake = logicalRef(props.lake as unknown as Construct);
    const executions = (machine: sfn.IStateMachine) =>
      `Resource::${nagText(
        stack.resolve(
          `${stack.formatArn({
            service: 'states',
            resource: 'execution',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            resourceName: stack.splitArn(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME)
              .resourceName!,
          })}*`,
        ),
      )}`;
    const reasons: Record<string, string> = {
      [executions(props.intent)]:
        'The refresh waits on and may stop the intent runs it starts, executions named at run time (DescribeExecution, StopExecution).',
      [executions(props.audiences)]:
        'The refresh waits on and may stop the audience runs it starts, executions named at run time (DescribeExecution, StopExecution).',
      [`Resource::<${logicalRef(this.plan.function)}.Arn>:*`]:
        'The refresh may invoke any version of its planning function (the LambdaInvoke task grants its versions).',
      'Resource::*':
        'X-Ray trace segments, the vended log delivery and the .sync integration’s EventBridge rule of the refresh cannot be scoped to a resource.',
    };
    acknowledgeWildcards(this.stateMachine, reasons);
    Validations.of(this.plan).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${lake}.Arn>/${PREDICTIONS_PREFIX}*]`,
      reason:
        'The saved predictions are one object per customer and event under intent/predictions/ (GetObject only).',
    });
  }
}
