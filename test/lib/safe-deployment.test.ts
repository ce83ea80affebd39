import { synthStack } from '../support/stack';

describe('the stack: a release takes traffic only after the pre-traffic check, and rolls back by itself', () => {
  const { template } = synthStack();
  const groups = () => Object.entries(template.findResources('AWS::CodeDeploy::DeploymentGroup'));

  it('deploys the ingest, authorizer and admin aliases through CodeDeploy, canary by default, rolling back on alarm', () => {
    expect(
      groups()
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['DeploymentAdmin', 'DeploymentAuthorizer', 'DeploymentIngest']);
    for (const [, group] of groups()) {
      expect(group.Properties).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        AutoRollbackConfiguration: {
          Enabled: true,
          Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']),
        },
        AlarmConfiguration: { Enabled: true, Alarms: expect.arrayContaining([expect.anything()]) },
      });
    }
    for (const [style, config] of [
      ['linear', 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute'],
      ['all-at-once', 'CodeDeployDefault.LambdaAllAtOnce'],
    ])
      expect(
        Object.values(
          synthStack({ deploymentStyle: style }).template.findResources('AWS::CodeDeploy::DeploymentGroup'),
        )[0]!.Properties.DeploymentConfigName,
      ).toBe(config);
  });

  it('watches the new version alone: its errors and throttles on the live alias, by ExecutedVersion', () => {
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(
      ([id]) =>
        id.startsWith('DeploymentIngestNewVersion') && !id.includes('Refuses') && !id.includes('Fails'),
    );
    expect(alarms.map(([, a]) => a.Properties.MetricName).sort()).toEqual(['Errors', 'Throttles']);
    for (const [, alarm] of alarms)
      expect(alarm.Properties.Dimensions.map((d: { Name: string }) => d.Name).sort()).toEqual([
        'ExecutedVersion',
        'FunctionName',
        'Resource',
      ]);
  });

  it('rolls back a new version that refuses more than the alias as a whole, not a customer sending bad data', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const refuses = (name: string) =>
      Object.entries(alarms).find(([id]) => id.startsWith(`Deployment${name}NewVersionRefuses`))![1]
        .Properties;
    const expression = (name: string) =>
      refuses(name).Metrics.find((m: { Expression?: string }) => m.Expression).Expression as string;

    expect(refuses('Ingest').Threshold).toBe(10);
    expect(expression('Ingest')).toBe(
      'IF(newOther >= 20, 100 * newRefused / newOther - 100 * allRefused / allOther, 0)',
    );
    expect(expression('Authorizer')).toBe(
      'IF((newRefused + newOther) >= 20, 100 * newRefused / (newRefused + newOther) - 100 * allRefused / (allRefused + allOther), 0)',
    );
    const versioned = refuses('Ingest').Metrics.find((m: { Id: string }) => m.Id === 'newRefused');
    expect(versioned.MetricStat.Metric.Dimensions.map((d: { Name: string }) => d.Name).sort()).toEqual([
      'service',
      'stack',
      'version',
    ]);
    const [ingestGroup] = groups().filter(([id]) => id.startsWith('DeploymentIngest'));
    // Errors, throttles, 4xx and 5xx of the new version.
    expect(ingestGroup![1].Properties.AlarmConfiguration.Alarms).toHaveLength(4);
    expect(Object.keys(alarms).some((id) => id.startsWith('DeploymentIngestNewVersionFails'))).toBe(true);
  });

  it('runs the pre-traffic check before the ingest and authorizer aliases move, and lets it only invoke their new versions', () => {
    const aliases = template.findResources('AWS::Lambda::Alias');
    for (const [, alias] of Object.entries(aliases).filter(([id]) => !id.startsWith('OnboardingAdmin')))
      expect(alias.UpdatePolicy.CodeDeployLambdaAliasUpdate.AfterAllowTrafficHook).toBeDefined();
    const hooked = Object.entries(aliases).filter(
      ([, a]) => a.UpdatePolicy?.CodeDeployLambdaAliasUpdate?.BeforeAllowTrafficHook,
    );
    expect(hooked.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'IngestAuthorizerLive',
      'IngestLive',
    ]);
    for (const [, alias] of hooked)
      expect(alias.DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/^DeploymentPreTrafficCheck/)]),
      );

    const checkPolicy = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('DeploymentPreTrafficCheckRole'),
    );
    const statements = checkPolicy.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const invoke = statements.find((s: { Action: string }) => s.Action === 'lambda:InvokeFunction');
    // The two new versions, by their version resources: nothing else.
    expect(invoke.Resource.map((r: { Ref: string }) => r.Ref.replace(/[0-9a-f]{40}$/, '')).sort()).toEqual([
      expect.stringMatching(/^IngestAuthorizerFunctionCurrentVersion/),
      expect.stringMatching(/^IngestFunctionCurrentVersion/),
    ]);
    expect(JSON.stringify(statements)).toContain('codedeploy:PutLifecycleEventHookExecutionStatus');
  });
});

describe('the stack: a stable endpoint', () => {
  const certificateArn =
    'arn:aws:acm:us-east-1:123456789012:certificate/0f3c1b7e-2a1d-4c55-9b1e-3a2f5c6d7e8f';

  it('maps a custom domain (TLS 1.2) to the API, creates its record, and gives it as the endpoint', () => {
    const { template } = synthStack({
      domainName: 'events.example.com',
      certificateArn,
      hostedZoneId: 'Z123ABC',
    });

    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'events.example.com',
      DomainNameConfigurations: [{ CertificateArn: certificateArn, SecurityPolicy: 'TLS_1_2' }],
    });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', { HostedZoneId: 'Z123ABC', Type: 'A' });
    expect(template.findOutputs('EndpointUrl').EndpointUrl!.Value).toBe('https://events.example.com');
    // The enable flow sends customers back to the stable URL too.
    const admin = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('OnboardingAdmin'),
    )![1];
    expect(admin.Properties.Environment.Variables.ENABLE_REDIRECT_URL).toBe(
      'https://events.example.com/enable/callback',
    );
  });

  it('keeps the execute-api URL open unless asked, and turns it off only beside a custom domain', () => {
    const api = (context: Record<string, unknown>) =>
      Object.values(synthStack(context).template.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties;
    const domain = { domainName: 'events.example.com', certificateArn };

    expect(api(domain).DisableExecuteApiEndpoint).toBe(false);
    expect(api({ ...domain, disableExecuteApiEndpoint: 'true' }).DisableExecuteApiEndpoint).toBe(true);
    expect(() => synthStack({ disableExecuteApiEndpoint: 'true' })).toThrow(
      'disableExecuteApiEndpoint needs domainName',
    );
    expect(() => synthStack({ ...domain, disableExecuteApiEndpoint: 'yes' })).toThrow(
      'disableExecuteApiEndpoint must be true or false',
    );
  });

  it('refuses half a domain, or a certificate that is not ACM’s, naming the setting', () => {
    expect(() => synthStack({ domainName: 'events.example.com' })).toThrow('domainName needs certificateArn');
    expect(() => synthStack({ certificateArn })).toThrow('certificateArn needs domainName');
    expect(() =>
      synthStack({
        domainName: 'events.example.com',
        certificateArn: 'arn:aws:iam::123456789012:server-certificate/x',
      }),
    ).toThrow('certificateArn must be an ACM certificate ARN');
  });
});
