import { join } from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { type Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { STACK_NAME_VARIABLE } from '../domain/contract/metrics';

/**
 * How every function is bundled (esbuild, locally): the AWS SDK is left to the runtime. Tests that run
 * a bundled function build it with these same options (test/support/bundled-lambda.ts).
 *
 * @internal
 */
export const HOUSE_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  format: OutputFormat.CJS,
  mainFields: ['module', 'main'],
  externalModules: ['@aws-sdk/*', '@smithy/*'],
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

export interface HouseFunctionProps {
  /** Path of the handler module under `lambdas/`, e.g. `ingest/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  readonly timeout: Duration;
  readonly memorySize?: number;
  /** Concurrency kept for this function alone (and its ceiling); unset: none reserved. */
  readonly reservedConcurrentExecutions?: number | undefined;
  readonly logRetention: logs.RetentionDays;
  /** What happens to its log group when the stack is deleted: the stack's `removalPolicy`. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Publish a version on every change and serve traffic through the `live` alias, which a deployment
   * moves from version to version (lib/safe-deployment.ts); with provisioned concurrency on the alias
   * when given. Unset: callers invoke the function itself.
   */
  readonly live?: { provisionedConcurrency?: number | undefined } | undefined;
}

/** The alias every caller of a deployed function invokes: a deployment shifts it between versions. */
export const LIVE_ALIAS = 'live';

const ROOT = join(__dirname, '..');

/**
 * Every function of the destination is built the same way: Node.js 22 on arm64 (cheaper per ms than
 * x86), bundled locally by esbuild (no Docker), minified with source maps, its own log group with a
 * retention, and its own role that can only write to that log group — other permissions are granted
 * action by action by the construct that owns the resource. The AWS SDK v3 comes from the runtime, so
 * each bundle holds only our code and the libraries it imports.
 */
export class HouseFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The `live` alias, for functions deployed gradually (`live` prop). */
  readonly alias?: lambda.Alias;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (logs only; grants add the rest)`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(ROOT, 'lambdas', props.entry),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      description: props.description,
      // Node.js 22 on Lambda: deprecated on 2027-04-30, creation disabled on 2027-06-01 (cfn-lint's
      // runtime table, rule E2533). Move to the next LTS runtime before then.
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // JSON lines, so Lambda can filter by level: its own platform lines (start, end and the report of
      // every invocation, ~430 bytes an invocation) stay out below WARN, and what the code logs passes
      // from INFO. The per-request lines of the request path are sampled by the code
      // (domain/contract/logging.ts); Lambda's own Duration, Errors and Throttles metrics keep the timings.
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        [STACK_NAME_VARIABLE]: Stack.of(this).stackName,
        ...props.environment,
      },
      bundling: HOUSE_BUNDLING,
    });
    if (props.live)
      this.alias = new lambda.Alias(this, 'Live', {
        aliasName: LIVE_ALIAS,
        version: this.function.currentVersion,
        ...(props.live.provisionedConcurrency
          ? { provisionedConcurrentExecutions: props.live.provisionedConcurrency }
          : {}),
      });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22, the runtime the code and its tests target (the toolchain runs Node 20/22); a runtime upgrade is a reviewed change, not an automatic one.',
    });
  }
}
