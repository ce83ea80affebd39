import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DATA_OUTPUT_PREFIX, PARTITION_QUERY } from '../../lib/delivery-pipeline';
import { policyStatements, synthStack } from '../support/stack';

describe('the stack, with the default (Kinesis stream) delivery', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack());
  });

  it('fronts ingest with an HTTP API and a cached REQUEST authorizer on the Authorization header', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
    });
  });

  it('routes POST /, /v1/batch and /v1/{type} to the ingest function, each behind the authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).filter(
      (r) => !/admin|enable/.test(r.Properties.RouteKey),
    );
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([
      'POST /',
      'POST /v1/batch',
      'POST /v1/{type}',
    ]);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: expect.stringMatching(/ApiKey/) },
      });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('throttles the stage and writes access logs without headers to a log group with retention', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 5000, ThrottlingBurstLimit: 5000 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('customerId') },
    });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
    expect(stage.Properties.AccessLogSettings.Format.toLowerCase()).not.toContain('authorization');
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup')))
      expect(group.Properties.RetentionInDays).toBe(90);
  });

  it('runs every function on Node.js 22, arm64, with its settings', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(4);
    for (const fn of functions)
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DELIVERY: 'stream', STREAM_NAME: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOKENS_TABLE: Match.anyValue() }) },
    });
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

  it('feeds Firehose from an on-demand, encrypted Kinesis stream', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS' },
    });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: Match.anyValue() },
    });
  });

  it('de-aggregates, partitions by area, customer and date with jq, and keeps errors under errors/', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix:
          'events/customer_id=!{partitionKeyFromQuery:customer_id}/dt=!{partitionKeyFromQuery:dt}/'.replace(
            'events',
            '!{partitionKeyFromQuery:area}',
          ),
        ErrorOutputPrefix: Match.stringLikeRegexp('^errors/!\\{firehose:error-output-type\\}/'),
        CompressionFormat: 'GZIP',
        DynamicPartitioningConfiguration: Match.objectLike({ Enabled: true }),
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 128 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'RecordDeAggregation',
              Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }],
            },
            {
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([{ ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' }]),
            },
            {
              Type: 'AppendDelimiterToRecord',
              Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }],
            },
          ],
        },
      }),
    });
    expect(DATA_OUTPUT_PREFIX).toContain(
      'customer_id=!{partitionKeyFromQuery:customer_id}/dt=!{partitionKeyFromQuery:dt}/',
    );
    expect(Object.keys(PARTITION_QUERY)).toEqual(['area', 'customer_id', 'dt']);
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
      'kinesis:PutRecords',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(/^OnboardingAdminRole/)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOf(/^OnboardingCallbackRole/)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('serves the admin routes only to IAM-signed callers, and the callback page to anyone', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    const admin = routes.filter((r) => r.Properties.RouteKey.includes(' /admin/'));
    expect(admin.map((r) => r.Properties.RouteKey).sort()).toEqual([
      'GET /admin/customers/{customerId}/tokens',
      'POST /admin/customers/{customerId}/aliases',
      'POST /admin/customers/{customerId}/disable',
      'POST /admin/customers/{customerId}/enable',
      'POST /admin/customers/{customerId}/tokens',
      'POST /admin/tokens/{tokenId}/revoke',
    ]);
    for (const route of admin) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    const callback = routes.find((r) => r.Properties.RouteKey === 'GET /enable/callback')!;
    expect(callback.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SEGMENT_SLUG: 'segment-lake-destination',
          ENABLE_REDIRECT_URL: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
        }),
      },
    });
  });

  it('outputs the endpoint URL and the names an operator needs', () => {
    for (const output of [
      'AdminApiArn',
      'EndpointUrl',
      'TokensTableName',
      'LakeBucketName',
      'GlueDatabase',
      'AthenaWorkGroup',
      'EventStreamName',
    ])
      template.hasOutput(output, {});
  });
});

describe('the stack, with Firehose Direct PUT', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack({ delivery: 'direct', authorizerCacheTtlSeconds: 60 }));
  });

  it('has no Kinesis stream, and puts straight into an encrypted Firehose stream', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ DELIVERY: 'direct', DELIVERY_STREAM_NAME: Match.anyValue() }),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
  });

  it('lets the ingest function call only PutRecordBatch on that stream', () => {
    const ingest = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('IngestRole'),
    )![1];
    const statement = ingest.Properties.PolicyDocument.Statement.find((s: { Action: string }) =>
      String(s.Action).startsWith('firehose'),
    );
    expect(statement).toMatchObject({
      Action: 'firehose:PutRecordBatch',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DeliveryToLake/), 'Arn'] },
    });
  });
});
