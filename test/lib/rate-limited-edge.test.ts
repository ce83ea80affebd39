import { Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { App, Stack } from 'aws-cdk-lib/core';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RateLimitedEdge } from '../../lib/rate-limited-edge';
import { synthStack } from '../support/stack';

describe('the optional rate-limited edge (edgeRequestsPerKey)', () => {
  const { stack, template } = synthStack({ edgeRequestsPerKey: '6000', edgeWindowSeconds: '60' });

  it('counts requests per Authorization header in AWS WAF, not per address, and answers 429 past the limit', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      Rules: [
        {
          Name: 'RequestsPerKey',
          Action: {
            Block: {
              CustomResponse: { ResponseCode: 429, ResponseHeaders: [{ Name: 'retry-after', Value: '60' }] },
            },
          },
          Statement: {
            RateBasedStatement: {
              Limit: 6000,
              EvaluationWindowSec: 60,
              AggregateKeyType: 'CUSTOM_KEYS',
              CustomKeys: [
                { Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
              ],
            },
          },
        },
      ],
    });
  });

  it('puts CloudFront in front of the API: nothing cached, every viewer header but Host forwarded, the web ACL attached', () => {
    const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
    const config = distribution!.Properties.DistributionConfig;
    // The managed CachingDisabled and AllViewerExceptHostHeader policies (CloudFront's documented ids).
    expect(config.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: expect.arrayContaining(['POST']),
    });
    expect(config.WebACLId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EdgeWebAcl/), 'Arn'] });
    expect(template.findOutputs('EndpointUrl').EndpointUrl!.Value).toEqual({
      'Fn::Join': [
        '',
        ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^EdgeDistribution/), 'DomainName'] }],
      ],
    });
  });

  it('is off by default, and refused where AWS WAF cannot serve CloudFront or below its minimum', () => {
    expect(Object.keys(synthStack().template.findResources('AWS::WAFv2::WebACL'))).toEqual([]);
    expect(() => synthStack({ edgeRequestsPerKey: '5' })).toThrow('at least 10');
    expect(() => synthStack({ edgeRequestsPerKey: '100', edgeWindowSeconds: '90' })).toThrow(
      'must be 60, 120, 300 or 600',
    );
  });

  it('is refused at synth in a region where CloudFront cannot have its web ACL, and at deploy when the region is unknown', () => {
    const inRegion = (region?: string) => {
      const api = new apigwv2.HttpApi(
        new Stack(
          new App({ builtinCloudFormationValidation: false }),
          'Api',
          region ? { env: { region } } : {},
        ),
        'Api',
      );
      return new RateLimitedEdge(api.stack, 'Edge', { api, requestsPerKey: 100, windowSeconds: 300 });
    };

    expect(() => inRegion('eu-west-1')).toThrow('edgeRequestsPerKey needs the stack in us-east-1');
    const agnostic = Template.fromStack(inRegion().node.scope as Stack);
    expect(Object.values(agnostic.toJSON().Rules as object)).toEqual(
      expect.arrayContaining([
        {
          Assertions: [
            {
              Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
              AssertDescription: expect.stringContaining('us-east-1'),
            },
          ],
        },
      ]),
    );
  });

  it('passes cdk-nag: every finding on the edge fixed or acknowledged with its reason', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack);

    expect(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
