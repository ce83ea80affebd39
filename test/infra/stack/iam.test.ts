import type { Template } from 'aws-cdk-lib/assertions';
import { policyStatements, synthStack } from '../../support/stack';

describe('the stack: least privilege', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack());
  });

  it('grants no wildcard actions to anyone, and each function only what it needs', () => {
    const statements = policyStatements(template);
    for (const s of statements) for (const action of [s.Action].flat()) expect(action).not.toContain('*');
    const actionsOf = (policyMatch: RegExp) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => policyMatch.test(id))
        .flatMap(([, p]) =>
          p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
            [s.Action].flat(),
          ),
        )
        .sort();
    expect(actionsOf(/^IngestAuthorizerRole/)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(/^IngestRole/)).toEqual([
      'dynamodb:UpdateItem', // the fair share's count, on its own table only
      'kinesis:PutRecords',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(/^OnboardingAdminRole/)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan', // counting customers against maxCustomers when a key is issued
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(/^OnboardingCallbackRole/)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('lets the authorizer write only a key’s lastUsedAt, returning nothing', () => {
    const statements = policyStatements(template).filter(
      (st) =>
        [st.Action].flat().includes('dynamodb:UpdateItem') &&
        JSON.stringify(st.Resource).includes('TokensTable'),
    );
    const authorizer = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('IngestAuthorizerRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string; Condition?: unknown }[])
      .filter((st) => st.Action === 'dynamodb:UpdateItem');

    expect(statements.length).toBeGreaterThan(0);
    expect(authorizer).toEqual([
      expect.objectContaining({
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'lastUsedAt'] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
        },
      }),
    ]);
  });
});
