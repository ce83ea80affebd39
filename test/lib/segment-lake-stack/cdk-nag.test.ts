import { type CfnResource, Validations } from 'aws-cdk-lib/core';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { FIREHOSE_PREFIXES } from '../../../domain/contract/lake-areas';
import { synthStack } from '../../support/stack';

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      // Recorded as { "Annotation::<rule id>": "<reason>" }.
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ path: construct.node.path, id, reason })),
  );
}

/** The acknowledgements every variant has; the lake's logical ID and the prefixes come from the stack and the contract. */
function commonAcks(lakeLogicalId: string): string[] {
  // DDB3: the fair share's counters expire after a minute (lib/ingest-api.ts); the jobs' lease is one
  // item that lives 45 minutes past its last renewal (lib/job-lease.ts).
  return [
    'AwsSolutions-S1',
    'AwsSolutions-APIG4',
    'AwsSolutions-DDB3',
    'AwsSolutions-DDB3',
    // L1: one per function (thirteen: lib/house-function.ts pins the runtime).
    ...Array(13).fill('AwsSolutions-L1'),
  ].concat(FIREHOSE_PREFIXES.map((p) => `AwsSolutions-IAM5[Resource::<${lakeLogicalId}.Arn>/${p}/*]`));
}

describe.each([
  ['stream', {}, ['AwsSolutions-KDF1']],
  ['direct', { delivery: 'direct' }, []],
])('cdk-nag AwsSolutions on the stack (%s delivery)', (_name, context, variantAcks) => {
  const { stack } = synthStack(context);
  const lakeLogicalId = stack.resolve(
    (stack.lake.bucket.node.defaultChild as CfnResource).logicalId,
  ) as string;
  const resultsLogicalId = stack.resolve(
    (stack.lake.queryResults.node.defaultChild as CfnResource).logicalId,
  ) as string;
  // The curated-table compaction (lib/curated-compaction.ts): its prefixes, its database's tables,
  // the Distributed Map's reader and child executions, and X-Ray/log deliveries.
  const compactionAcks = [
    `Resource::<${lakeLogicalId}.Arn>/events/*`,
    `Resource::<${lakeLogicalId}.Arn>/curated/events/*`,
    // The staging manifests and items: the state machine's and the steps function's.
    `Resource::<${lakeLogicalId}.Arn>/curated/_staging/*`,
    `Resource::<${lakeLogicalId}.Arn>/curated/_staging/*`,
    `Resource::<${resultsLogicalId}.Arn>/athena/*`,
    `Resource::<${resultsLogicalId}.Arn>/athena/*`,
    `Resource::<${stack.resolve((stack.compaction.steps.function.node.defaultChild as CfnResource).logicalId)}.Arn>:*`,
    `Resource::arn:aws:glue:${stack.region}:${stack.account}:table/${stack.catalog.databaseName}/*`,
    'Resource::*',
    ...[':*', '/*:*'].map((tail) => {
      const machine = stack.resolve(
        (stack.compaction.stateMachine.node.defaultChild as CfnResource).logicalId,
      ) as string;
      return `Resource::arn:aws:states:${stack.region}:${stack.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machine}"}]}]}${tail}`;
    }),
  ]
    .map((r) => `AwsSolutions-IAM5[${r}]`)
    // The two dead-letter queues (object log, schedule): the end of the line, alarmed.
    .concat(['AwsSolutions-SQS3', 'AwsSolutions-SQS3']);
  // The intent job (lib/intent-scoring.ts): the planning function, the scoring function, the machine.
  const logicalId = (c: { node: { defaultChild?: unknown } }) =>
    stack.resolve((c.node.defaultChild as CfnResource).logicalId) as string;
  const athenaReader = [
    `Resource::<${lakeLogicalId}.Arn>/curated/*`,
    `Resource::<${resultsLogicalId}.Arn>/athena/*`,
    `Resource::arn:aws:glue:${stack.region}:${stack.account}:table/${stack.catalog.databaseName}/*`,
  ];
  const features = `Resource::<${lakeLogicalId}.Arn>/intent/_features/*`;
  const intentAcks = [
    ...athenaReader,
    features,
    `Resource::<${lakeLogicalId}.Arn>/scores/*`,
    `Resource::<${lakeLogicalId}.Arn>/intent/predictions/*`,
    `Resource::<${lakeLogicalId}.Arn>/intent/reports/*`,
    ...athenaReader,
    features,
    // The run's table of shares, which the scoring joins.
    `Resource::<${lakeLogicalId}.Arn>/intent/_features/*/shares/*`,
    `Resource::<${lakeLogicalId}.Arn>/scores/*`,
    `Resource::<${logicalId(stack.intent.plan.function)}.Arn>:*`,
    `Resource::<${logicalId(stack.intent.score.function)}.Arn>:*`,
    'Resource::*',
  ].map((r) => `AwsSolutions-IAM5[${r}]`);
  // The erase pass (lib/user-erasure.ts): the steps function's object actions on each prefix an erase
  // rewrites, the state machine's Athena reads and writes, the Distributed Map, the audit key, the
  // schedule's dead letters.
  const erasureMachine = logicalId(stack.erasure.stateMachine);
  const erasureAcks = [
    ...[
      'events/customer_id=*/*',
      'quarantine/customer_id=_all/*',
      'quarantine/customer_id=*/*',
      'errors/*',
      'redriven/errors/*',
      'scores/customer_id=*/*',
      'audiences/customer_id=*/*',
      'audience-sync/runs/*/*',
      'erasure/_passes/*',
      'erasure/erased-rows/*',
      'intent/_features/*',
    ].map((p) => `Resource::<${lakeLogicalId}.Arn>/${p}`),
    `Resource::<${resultsLogicalId}.Arn>/athena/*`,
    `Resource::<${lakeLogicalId}.Arn>/events/*`,
    // The objects query looks through the quarantine (the customer is a column there).
    `Resource::<${lakeLogicalId}.Arn>/quarantine/*`,
    `Resource::<${lakeLogicalId}.Arn>/erasure/_passes/*`,
    `Resource::<${lakeLogicalId}.Arn>/curated/events/*`,
    `Resource::<${resultsLogicalId}.Arn>/athena/*`,
    `Resource::arn:aws:glue:${stack.region}:${stack.account}:table/${stack.catalog.databaseName}/*`,
    'Resource::*',
    ...[':*', '/*:*'].map(
      (tail) =>
        `Resource::arn:aws:states:${stack.region}:${stack.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${erasureMachine}"}]}]}${tail}`,
    ),
    `Resource::<${logicalId(stack.erasure.steps.function)}.Arn>:*`,
    // The steps function deletes the old versions of the curated files a VACUUM removed.
    `Resource::<${lakeLogicalId}.Arn>/curated/events/*`,
    // The VACUUM machine an erase pass starts: X-Ray and logs, the curated files, its result, the table,
    // and the steps function it invokes to delete those old versions.
    'Resource::*',
    `Resource::<${lakeLogicalId}.Arn>/curated/events/*`,
    `Resource::<${resultsLogicalId}.Arn>/athena/*`,
    `Resource::arn:aws:glue:${stack.region}:${stack.account}:table/${stack.catalog.databaseName}/*`,
    `Resource::<${logicalId(stack.erasure.steps.function)}.Arn>:*`,
  ]
    .map((r) => `AwsSolutions-IAM5[${r}]`)
    .concat(['AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
  // The deployment (lib/safe-deployment.ts): CodeDeploy's own role for each of the three deployment
  // groups, and its invoking the pre-traffic check (two groups have it).
  const hookIds = [stack.deployment.check, stack.deployment.postCheck].map(
    (hook) => stack.resolve((hook.function.node.defaultChild as CfnResource).logicalId) as string,
  );
  const deploymentAcks = [
    ...Array(3).fill(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
    ),
    ...hookIds.flatMap((id) => Array(2).fill(`AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`)),
  ];
  // The audiences (lib/prediction-audiences.ts): the build function's Athena reads and its folders, the
  // sending function's shard files and write keys, the Distributed Map, the weekly machine's runs.
  const audienceMachine = logicalId(stack.audiences.stateMachine);
  const execution = (tail: string) =>
    `Resource::arn:aws:states:${stack.region}:${stack.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${audienceMachine}"}]}]}${tail}`;
  const writeKeys = `Resource::arn:aws:secretsmanager:${stack.region}:${stack.account}:secret:TestDestination/segment-write-key/*`;
  const runs = `Resource::<${lakeLogicalId}.Arn>/audience-sync/runs/*`;
  const state = `Resource::<${lakeLogicalId}.Arn>/audience-sync/state/*`;
  const build = `Resource::<${logicalId(stack.audiences.build.function)}.Arn>:*`;
  const audienceAcks = [
    ...athenaReader,
    `Resource::<${lakeLogicalId}.Arn>/scores/*`,
    `Resource::<${lakeLogicalId}.Arn>/audiences/*`,
    state,
    // The intent runs' reports: a Poor scoring builds no audience.
    `Resource::<${lakeLogicalId}.Arn>/intent/reports/*`,
    runs,
    writeKeys,
    runs,
    writeKeys,
    'Resource::*',
    execution(':*'),
    execution('/*:*'),
    `Resource::<${logicalId(stack.audiences.send.function)}.Arn>:*`,
    build,
    state,
  ].map((r) => `AwsSolutions-IAM5[${r}]`);
  // The weekly refresh (lib/prediction-refresh.ts): the runs it starts and waits on, its planning
  // function and the saved predictions it reads, its schedule's dead letters.
  const intentMachine = logicalId(stack.intent.stateMachine);
  const refreshAcks = [
    `Resource::arn:aws:states:${stack.region}:${stack.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${intentMachine}"}]}]}*`,
    execution('*'),
    `Resource::<${logicalId(stack.refresh.plan.function)}.Arn>:*`,
    'Resource::*',
    `Resource::<${lakeLogicalId}.Arn>/intent/predictions/*`,
  ]
    .map((r) => `AwsSolutions-IAM5[${r}]`)
    .concat(['AwsSolutions-SQS3']);
  const expectedAcks = [
    ...audienceAcks,
    ...refreshAcks,
    ...commonAcks(lakeLogicalId),
    ...variantAcks,
    ...compactionAcks,
    ...intentAcks,
    ...deploymentAcks,
    ...erasureAcks,
  ];

  it('has no finding that is not acknowledged', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack);

    expect(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acks = acknowledgements(stack);

    expect(acks.map((a) => a.id.replace('Annotation::', '')).sort()).toEqual(expectedAcks.sort());
    // A reason written for its finding, not one text pasted onto several rules.
    const reasonsByText = new Map<string, Set<string>>();
    for (const ack of acks) {
      const rule = ack.id.replace('Annotation::', '').replace(/\[.*$/, '');
      reasonsByText.set(ack.reason, (reasonsByText.get(ack.reason) ?? new Set()).add(rule));
    }
    expect([...reasonsByText].filter(([, rules]) => rules.size > 1)).toEqual([]);
    // Each prefix-wide S3 permission names its own prefix in its reason.
    for (const ack of acks.filter((a) => /IAM5\[Resource::.*\/[a-z]+\/\*\]$/.test(a.id))) {
      const prefix = /\/([a-z]+)\/\*\]$/.exec(ack.id)![1]!;
      expect([ack.id, ack.reason.includes(`${prefix}/`)]).toEqual([ack.id, true]);
    }
  });
});
