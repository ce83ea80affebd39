import { Validations } from 'aws-cdk-lib/core';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { synthStack } from '../support/stack';

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      // Recorded as { "Annotation::<rule id>": "<reason>" }.
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ path: construct.node.path, id, reason })),
  );
}

const COMMON_ACKS = ['AwsSolutions-S1', 'AwsSolutions-APIG4', ...Array(4).fill('AwsSolutions-L1')].concat(
  ['events/*', 'quarantine/*', 'ledger/*', 'errors/*'].map(
    (p) => `AwsSolutions-IAM5[Resource::<Lake42DFAD75.Arn>/${p}]`,
  ),
);

describe.each([
  ['stream', {}, [...COMMON_ACKS, 'AwsSolutions-KDF1']],
  ['direct', { delivery: 'direct' }, COMMON_ACKS],
])('cdk-nag AwsSolutions on the stack (%s delivery)', (_name, context, expectedAcks) => {
  const { stack } = synthStack(context);

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
    for (const ack of acks) expect([ack.id, ack.reason.length > 40]).toEqual([ack.id, true]);
  });
});
