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
      'dynamodb:PutItem', // a Segment delete recorded, on the erasure table only
      'dynamodb:Query', // a customer's delete requests, to drop resends of erased users' data
      'dynamodb:UpdateItem', // the fair share's count, on its own table only
      'kinesis:PutRecords',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue', // the audit key, to hash a deleted user's id
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
    // The erase steps: the erasure table, the audit key, and object actions on the lake's prefixes;
    // after a VACUUM, the curated files' old versions (listed and deleted by version id).
    expect(actionsOf(/^ErasureStepsRole/)).toEqual([
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      's3:DeleteObject',
      's3:DeleteObjectVersion',
      's3:DeleteObjectVersion',
      's3:GetObject',
      's3:GetObject',
      's3:ListBucket',
      's3:ListBucketVersions',
      's3:ListBucketVersions',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('gives ingest the erasure table and the audit key only, and the erase steps only the prefixes an erase rewrites', () => {
    const ingest = policyStatements(template).filter((st) =>
      [st.Action].flat().some((a) => a === 'dynamodb:PutItem' || a === 'secretsmanager:GetSecretValue'),
    );
    const resources = JSON.stringify(
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => id.startsWith('IngestRole'))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
        .filter((st: { Action: string | string[] }) =>
          [st.Action].flat().some((a) => a === 'dynamodb:PutItem' || a === 'secretsmanager:GetSecretValue'),
        )
        .map((st: { Resource: unknown }) => st.Resource),
    );
    expect(ingest.length).toBeGreaterThan(0);
    expect(resources).toMatch(/ErasureRequests/);
    expect(resources).toMatch(/ErasureAuditKey/);
    expect(resources).not.toMatch(/TokensTable/);
    const objectResources = JSON.stringify(
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => id.startsWith('ErasureStepsRole'))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
        .filter((st: { Action: string | string[] }) => [st.Action].flat().includes('s3:DeleteObjectVersion'))
        .map((st: { Resource: unknown }) => st.Resource),
    );
    for (const prefix of [
      '/events/customer_id=*/*',
      '/quarantine/customer_id=*/*',
      '/errors/*',
      '/redriven/errors/*',
      '/scores/customer_id=*/*',
    ])
      expect(objectResources).toContain(prefix);
    expect(objectResources).not.toMatch(/"\/\*"|Arn"\]\}\/\*"/);
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
