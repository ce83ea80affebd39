import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ADMIN_ROUTES } from '../../domain/contract/routes';
import { STACK_OUTPUTS } from '../../domain/contract/stack-outputs';
import { synthStack } from '../support/stack';

describe('the stack: the HTTP API, its functions and outputs', () => {
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
    // The request path's four, the compaction's steps (lib/curated-compaction.ts), the intent job's two,
    // the deployment's pre- and post-traffic checks, the erase steps (lib/user-erasure.ts) and the
    // audiences' build and send functions (lib/prediction-audiences.ts) and the refresh's planner.
    expect(functions).toHaveLength(13);
    for (const fn of functions)
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DELIVERY: 'stream', STREAM_NAME: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOKENS_TABLE: Match.anyValue() }) },
    });
  });

  it('serves the admin routes only to IAM-signed callers, and the callback page to anyone', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    const admin = routes.filter((r) => r.Properties.RouteKey.includes(' /admin/'));
    expect(admin.map((r) => r.Properties.RouteKey).sort()).toEqual([...ADMIN_ROUTES].sort());
    expect(admin).toHaveLength(ADMIN_ROUTES.length);
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
    // Every name of the contract but DeliveryShards, which exists only with several delivery shards.
    for (const output of Object.values(STACK_OUTPUTS).filter((o) => o !== STACK_OUTPUTS.deliveryShards))
      template.hasOutput(output, {});
    // Spelled out once: the contract's names are what operators and the runbooks read.
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual([
      'AdminApiArn',
      'AlarmPathCheckAlarmName',
      'AlarmTopicArn',
      'AthenaWorkGroup',
      'AudienceStateMachineArn',
      'CompactionStateMachineArn',
      'DashboardName',
      'DeliveryStreamName',
      'EndpointUrl',
      'ErasureStateMachineArn',
      'ErasureTableName',
      'EventStreamName',
      'GlueDatabase',
      'IntentStateMachineArn',
      'LakeBucketName',
      'RefreshStateMachineArn',
      'TokensTableName',
    ]);
  });
});

describe('the stack: capacity settings for a Replay', () => {
  it('invokes the live aliases of the ingest, authorizer and admin functions, never $LATEST', () => {
    const { template } = synthStack();
    const aliases = template.findResources('AWS::Lambda::Alias');
    const aliasOf = (prefix: string) => Object.keys(aliases).find((id) => id.startsWith(prefix))!;

    expect(Object.values(aliases).map((a) => a.Properties.Name)).toEqual(['live', 'live', 'live']);
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration')).map((i) =>
      JSON.stringify(i.Properties.IntegrationUri),
    );
    expect(integrations.some((uri) => uri.includes(aliasOf('IngestLive')))).toBe(true);
    expect(integrations.some((uri) => uri.includes(aliasOf('OnboardingAdminLive')))).toBe(true);
    const [authorizer] = Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(JSON.stringify(authorizer!.Properties.AuthorizerUri)).toContain(aliasOf('IngestAuthorizerLive'));
    // Provisioned concurrency stays possible on the ingest alias, off by default.
    expect(aliases[aliasOf('IngestLive')]!.Properties.ProvisionedConcurrencyConfig).toBeUndefined();
    expect(
      synthStack({ provisionedConcurrency: '5' }).template.findResources('AWS::Lambda::Alias', {
        Properties: { ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 5 } },
      }),
    ).not.toEqual({});
  });

  it('reserves concurrency for the authorizer by default, none with 0', () => {
    const functions = (context: Record<string, unknown>) =>
      Object.entries(synthStack(context).template.findResources('AWS::Lambda::Function'));
    const authorizer = (context: Record<string, unknown>) =>
      functions(context).find(([id]) => id.startsWith('IngestAuthorizer'))![1].Properties;

    expect(authorizer({}).ReservedConcurrentExecutions).toBe(50);
    expect(authorizer({ authorizerReservedConcurrency: '0' }).ReservedConcurrentExecutions).toBeUndefined();
    expect(authorizer({ authorizerReservedConcurrency: '80' }).ReservedConcurrentExecutions).toBe(80);
  });

  it('gives the ingest function a fair share counted in its own expiring table, by default; none with 0', () => {
    const synth = (context: Record<string, unknown>) => synthStack(context).template;
    const ingestEnv = (template: ReturnType<typeof synth>) =>
      Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('IngestFunction'),
      )![1].Properties.Environment.Variables;
    const fairShareTables = (template: ReturnType<typeof synth>) =>
      Object.keys(template.findResources('AWS::DynamoDB::Table')).filter((id) =>
        id.startsWith('IngestFairShare'),
      );

    const byDefault = synth({});
    const off = synth({ fairShareEventsPerSecond: '0' });

    expect(ingestEnv(byDefault)).toMatchObject({
      FAIR_SHARE_EVENTS_PER_SECOND: '1000',
      FAIR_SHARE_TABLE: { Ref: expect.stringMatching(/^IngestFairShare/) },
    });
    byDefault.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(ingestEnv(off).FAIR_SHARE_EVENTS_PER_SECOND).toBeUndefined();
    expect(fairShareTables(off)).toEqual([]);
  });

  it('provisions the stream with the shards asked for, on-demand otherwise', () => {
    synthStack({ streamShards: '8' }).template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 8,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    synthStack().template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
  });
});
