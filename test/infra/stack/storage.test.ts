import { Match, type Template } from 'aws-cdk-lib/assertions';
import { synthStack } from '../../support/stack';

describe('the stack: tokens, the lake and its catalog', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack());
  });

  it('keeps tokens in an on-demand, encrypted table with PITR, keyed by hash, listable by customer', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'byCustomer' }),
        Match.objectLike({ IndexName: 'byTokenId' }),
      ]),
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('keeps the lake private, encrypted, TLS-only, logged, versioned and retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'lake/' }),
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 90 }] })],
        },
      }),
    });
    for (const policy of Object.values(template.findResources('AWS::S3::BucketPolicy'))) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
      expect(bucket.Properties.BucketEncryption).toBeDefined();
    }
  });

  it('catalogs events and quarantine with partition projection, and a dedupe view', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'events',
        PartitionKeys: [
          { Name: 'customer_id', Type: 'string' },
          { Name: 'dt', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.customer_id.type': 'injected',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'storage.location.template': Match.objectLike({
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own ${...} placeholders, not JavaScript
            'Fn::Join': Match.arrayWith([Match.arrayWith(['/events/customer_id=${customer_id}/dt=${dt}/'])]),
          }),
        }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' }),
        }),
      }),
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'quarantine' }),
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'ledger', PartitionKeys: Match.anyValue() }),
    });
    const completeness = Object.values(template.findResources('AWS::Glue::Table')).find(
      (t) => t.Properties.TableInput.Name === 'completeness',
    )!;
    const completenessSql = JSON.parse(
      Buffer.from(
        /\/\* Presto View: (.+) \*\//.exec(completeness.Properties.TableInput.ViewOriginalText)![1]!,
        'base64',
      ).toString(),
    ).originalSql;
    // Joined per request id, and missing/surplus summed per request: a surplus never hides a loss.
    expect(completenessSql).toMatch(
      /count\(DISTINCT message_id\) AS landed FROM "testdestination"\."events" .*GROUP BY customer_id, request_id/,
    );
    expect(completenessSql).toMatch(
      /FROM "testdestination"\."ledger" l LEFT JOIN landed e ON e\.customer_id = l\.customer_id AND e\.request_id = l\.request_id/,
    );
    expect(completenessSql).toMatch(
      /sum\(greatest\(accepted - landed, 0\)\) AS missing, sum\(greatest\(landed - accepted, 0\)\) AS surplus.* FROM per_request GROUP BY customer_id, dt$/,
    );
    const view = Object.values(template.findResources('AWS::Glue::Table')).find(
      (t) => t.Properties.TableInput.TableType === 'VIRTUAL_VIEW',
    )!;
    const encoded = /\/\* Presto View: (.+) \*\//.exec(view.Properties.TableInput.ViewOriginalText)![1]!;
    const presto = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    expect(presto.originalSql).toMatch(
      /row_number\(\) OVER \(PARTITION BY customer_id, message_id ORDER BY received_at\)/,
    );
    expect(presto.columns.map((c: { name: string }) => c.name)).toEqual(
      view.Properties.TableInput.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name),
    );
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });
});
