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
          Rules: [
            Match.objectLike({ Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 90 }] }),
            // Jobs' working files, left by a run that failed before removing them (lib/lake-bucket.ts).
            Match.objectLike({ Prefix: 'intent/_features/', ExpirationInDays: 7, Status: 'Enabled' }),
            Match.objectLike({ Prefix: 'audience-sync/runs/', ExpirationInDays: 7, Status: 'Enabled' }),
          ],
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

  it('catalogs the landing zone by receive date, keeps the first layout readable, and a dedupe view', () => {
    const table = (name: string) =>
      Object.values(template.findResources('AWS::Glue::Table')).find(
        (t) => t.Properties.TableInput.Name === name,
      )!.Properties.TableInput;
    const template_ = (name: string) => JSON.stringify(table(name).Parameters['storage.location.template']);

    expect(table('events').PartitionKeys).toEqual([
      { Name: 'customer_id', Type: 'string' },
      { Name: 'received_dt', Type: 'string' },
    ]);
    expect(table('events').Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.customer_id.type': 'injected',
      'projection.received_dt.type': 'date',
      'projection.received_dt.range': '2025-01-01,NOW',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own ${...} placeholders, not JavaScript
    expect(template_('events')).toContain('/events/customer_id=${customer_id}/received_dt=${received_dt}/');
    // The event's own date is a column, for analysis.
    expect(table('events').StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toContain('dt');
    for (const name of ['quarantine', 'ledger']) {
      expect(table(name).PartitionKeys).toEqual([{ Name: 'received_dt', Type: 'string' }]);
      expect(template_(name)).toContain(`/${name}/customer_id=_all/received_dt=\${received_dt}/`);
      expect(table(name).StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toContain(
        'customer_id',
      );
    }
    for (const name of ['events_v1', 'quarantine_v1', 'ledger_v1']) {
      expect(table(name).PartitionKeys).toEqual([
        { Name: 'customer_id', Type: 'string' },
        { Name: 'dt', Type: 'string' },
      ]);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own ${...} placeholders
      expect(template_(name)).toContain('customer_id=${customer_id}/dt=${dt}/');
    }
    expect(table('events').StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.openx.data.jsonserde.JsonSerDe',
    );
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
      /sum\(greatest\(accepted - landed, 0\)\) AS missing, sum\(greatest\(landed - accepted, 0\)\) AS surplus.* FROM per_request GROUP BY customer_id, dt\)/,
    );
    // What a Segment delete erased is subtracted from missing, per customer and receive day.
    expect(completenessSql).toMatch(
      /FROM "testdestination"\."erased_rows" GROUP BY customer_id, received_dt\).*greatest\(coalesce\(d\.missing, 0\) - coalesce\(x\.events, 0\), 0\) AS missing, coalesce\(x\.events, 0\) AS erased/,
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
        // athenaBytesScannedCutoffGiB: 1,024 GiB by default, as bytes.
        BytesScannedCutoffPerQuery: 1024 ** 4,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });
});
