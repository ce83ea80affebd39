import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { type CfnResource, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import type { DeployCheckEnvironment } from '../domain/contract/environment';
import { METRICS_NAMESPACE, type MetricName, type MetricService } from '../domain/contract/metrics';
import { TOKEN_TABLE_INDEXES } from '../domain/contract/token-table';
import { HouseFunction, LIVE_ALIAS } from './house-function';
import type { TokenTable } from './token-table';

/** How CodeDeploy moves the live aliases to a new version. */
const DEPLOYMENT_STYLES = {
  // 10 % of requests for 5 minutes, then all: the default.
  canary: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  // 10 % more every minute.
  linear: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  // Everything at once: for a first deploy, when there is no traffic to protect.
  'all-at-once': codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
} as const;
type DeploymentStyle = keyof typeof DEPLOYMENT_STYLES;

export interface SafeDeploymentProps {
  readonly style: DeploymentStyle;
  readonly ingest: HouseFunction;
  readonly authorizer: HouseFunction;
  readonly admin: HouseFunction;
  readonly tokens: TokenTable;
  /** The URL Segment is given: the post-traffic check goes through it. */
  readonly endpointUrl: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A release takes traffic only after it proved itself, and gives it back by itself if it misbehaves:
 * CodeDeploy shifts each function's `live` alias to its new version — first running the pre-traffic
 * check (lambdas/deploy-check), which invokes the new versions with real Segment messages and fails
 * the deployment before any traffic moves — and rolls the alias back when any of the new version's
 * alarms fires during the shift.
 *
 * The alarms watch the new version alone (its `ExecutedVersion` on the alias), so a customer that
 * keeps sending bad data — which the old version answers the same way — never rolls back a good release.
 */
export class SafeDeployment extends Construct {
  readonly check: HouseFunction;
  readonly postCheck: HouseFunction;
  readonly groups: codedeploy.LambdaDeploymentGroup[] = [];
  /** The alarms that roll a deployment back (they page too: lib/segment-lake-stack.ts). */
  readonly rollbackAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: SafeDeploymentProps) {
    super(scope, id);
    const { ingest, authorizer } = props;
    const checkFunction = (id: string, phase: 'pre' | 'post', description: string) => {
      const made = new HouseFunction(this, id, {
        entry: 'deploy-check/handler.ts',
        description,
        environment: {
          CHECK_PHASE: phase,
          INGEST_VERSION: ingest.function.currentVersion.functionArn,
          AUTHORIZER_VERSION: authorizer.function.currentVersion.functionArn,
          TOKENS_TABLE: props.tokens.table.tableName,
          ENDPOINT_URL: props.endpointUrl,
        } satisfies DeployCheckEnvironment,
        timeout: Duration.minutes(2),
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      // Issue, then revoke, the check customer's key.
      made.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [props.tokens.table.tableArn],
        }),
      );
      made.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${props.tokens.table.tableArn}/index/${TOKEN_TABLE_INDEXES.byTokenId}`],
        }),
      );
      return made;
    };
    this.check = checkFunction(
      'PreTrafficCheck',
      'pre',
      'Deployment: checks the new ingest and authorizer versions before traffic moves',
    );
    this.postCheck = checkFunction(
      'PostTrafficCheck',
      'post',
      'Deployment: checks the public endpoint after traffic moved',
    );
    const check = this.check.function;
    // The pre-traffic check may invoke the new versions only, by their version ARNs.
    check.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [
          ingest.function.currentVersion.functionArn,
          authorizer.function.currentVersion.functionArn,
        ],
      }),
    );

    const application = new codedeploy.LambdaApplication(this, 'Application');
    const config = DEPLOYMENT_STYLES[props.style];
    for (const [name, fn, withCheck] of [
      ['Ingest', ingest, true],
      ['Authorizer', authorizer, true],
      ['Admin', props.admin, false],
    ] as const) {
      const alias = fn.alias!;
      // The hooks read the versions they check from their environment: they must be updated first.
      if (withCheck) alias.node.addDependency(check, this.postCheck.function);
      const alarms = [
        ...this.newVersionAlarms(name, fn),
        ...(name === 'Ingest'
          ? [
              this.refusalAlarm(name, fn, 'ingest', 'Answered4xx', 'Requests'),
              this.refusalAlarm(name, fn, 'ingest', 'Answered5xx', 'Requests'),
            ]
          : []),
        ...(name === 'Authorizer'
          ? [this.refusalAlarm(name, fn, 'authorizer', 'AuthorizerDenied', 'AuthorizerAllowed')]
          : []),
      ];
      this.rollbackAlarms.push(...alarms);
      const group = new codedeploy.LambdaDeploymentGroup(this, name, {
        application,
        alias,
        deploymentConfig: config,
        alarms,
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
        ...(withCheck ? { preHook: check, postHook: this.postCheck.function } : {}),
      });
      this.groups.push(group);
      Validations.of(group).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          "CodeDeploy's own role for Lambda deployments: the AWS-managed 'Limited' policy, which lets it move this alias and invoke the hooks, is what the service documents for it.",
      });
      if (withCheck)
        for (const hook of [check, this.postCheck.function])
          Validations.of(group).acknowledge({
            id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve((hook.node.defaultChild as CfnResource).logicalId)}.Arn>:*]`,
            reason: `CodeDeploy invokes the ${hook === check ? 'pre' : 'post'}-traffic check function by any of its versions (lambda:InvokeFunction only).`,
          });
    }
  }

  /**
   * A new version that refuses more than the alias as a whole: its share of 4xx answers (ingest) or of
   * denied keys (authorizer) more than 10 points above the share of all requests in the same minutes.
   * The old version serves the same customers' same mistakes at the same time, so bad data sent by a
   * customer raises both shares alike and never rolls back a good release; a release that refuses valid
   * messages or keys raises only its own. At least 20 of the new version's requests in the period, so a
   * handful cannot decide.
   */
  private refusalAlarm(
    name: string,
    fn: HouseFunction,
    service: MetricService,
    refused: MetricName,
    other: MetricName,
  ): cloudwatch.Alarm {
    const stack = Stack.of(this).stackName;
    const ours = (metricName: MetricName, version?: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service, stack, ...(version ? { version } : {}) },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    const version = fn.function.currentVersion.version;
    // Ingest counts Requests (refusals among them); the authorizer counts allowed and denied apart.
    const total = (r: string, o: string) => (refused === 'Answered4xx' ? o : `(${r} + ${o})`);
    const suffix = refused === 'Answered5xx' ? 'Fails' : 'Refuses';
    return new cloudwatch.Alarm(this, `${name}NewVersion${suffix}`, {
      metric: new cloudwatch.MathExpression({
        expression: `IF(${total('newRefused', 'newOther')} >= 20, 100 * newRefused / ${total('newRefused', 'newOther')} - 100 * allRefused / ${total('allRefused', 'allOther')}, 0)`,
        usingMetrics: {
          newRefused: ours(refused, version),
          newOther: ours(other, version),
          allRefused: ours(refused),
          allOther: ours(other),
        },
        label: `${name}: refusals of the new version above the alias's, in points`,
        period: Duration.minutes(1),
      }),
      threshold: 10,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${name}: the version being deployed refuses more than the rest (${refused}); CodeDeploy rolls the alias back. Runbook: docs/operations.md#rollback`,
    });
  }

  /** The new version's errors and throttles, seen on the live alias by `ExecutedVersion`. */
  private newVersionAlarms(name: string, fn: HouseFunction): cloudwatch.Alarm[] {
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: {
          FunctionName: fn.function.functionName,
          Resource: `${fn.function.functionName}:${LIVE_ALIAS}`,
          ExecutedVersion: fn.function.currentVersion.version,
        },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    return ['Errors', 'Throttles'].map(
      (metricName) =>
        new cloudwatch.Alarm(this, `${name}NewVersion${metricName}`, {
          metric: metric(metricName),
          threshold: 1,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `${name}: the version being deployed has ${metricName.toLowerCase()}; CodeDeploy rolls the alias back. Runbook: docs/operations.md#rollback`,
        }),
    );
  }
}
