import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Aws, CfnRule, Fn, Stack, Token, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';

export interface RateLimitedEdgeProps {
  readonly api: apigwv2.HttpApi;
  /** Requests one `Authorization` header may make per evaluation window before AWS WAF blocks it. */
  readonly requestsPerKey: number;
  /** AWS WAF's rate window, in seconds (60, 120, 300 or 600). */
  readonly windowSeconds: number;
}

/** The region CloudFront's web ACLs live in (AWS WAF developer guide, "Using AWS WAF with CloudFront"). */
const CLOUDFRONT_WAF_REGION = 'us-east-1';

/**
 * An optional edge in front of the HTTP API (setting `edgeRequestsPerKey`), which HTTP APIs cannot have
 * themselves: they do not attach AWS WAF. CloudFront forwards every request uncached, with every viewer
 * header but Host (API Gateway refuses a foreign Host), and AWS WAF counts requests per `Authorization`
 * header — not per address: all of Segment's traffic comes from Segment's shared addresses, so a per-IP
 * rule would throttle every customer at once. A key over its rate gets 429 from the edge, which Segment
 * retries. docs/security.md ("The edge") has its cost and its limits.
 */
export class RateLimitedEdge extends Construct {
  readonly url: string;
  readonly distribution: cloudfront.Distribution;
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: RateLimitedEdgeProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== CLOUDFRONT_WAF_REGION)
      throw new Error(
        `edgeRequestsPerKey needs the stack in ${CLOUDFRONT_WAF_REGION}: CloudFront's AWS WAF web ACLs are created there (this stack: ${region})`,
      );
    // An environment-agnostic stack learns its region at deploy: CloudFormation refuses it then.
    new CfnRule(this, 'EdgeRegion', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, CLOUDFRONT_WAF_REGION),
          assertDescription: `edgeRequestsPerKey needs the stack in ${CLOUDFRONT_WAF_REGION} (CloudFront's AWS WAF web ACLs live there)`,
        },
      ],
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'SegmentLakeEdge',
        sampledRequestsEnabled: true,
      },
      rules: [
        {
          name: 'RequestsPerKey',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                responseHeaders: [{ name: 'retry-after', value: String(props.windowSeconds) }],
              },
            },
          },
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerKey,
              evaluationWindowSec: props.windowSeconds,
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [
                { header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } },
              ],
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'SegmentLakeEdgeRequestsPerKey',
            sampledRequestsEnabled: true,
          },
        },
      ],
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Segment lake destination: the rate-limited edge in front of the HTTP API',
      defaultBehavior: {
        origin: new origins.HttpOrigin(apiDomain, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        }),
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        // Nothing cached: every request reaches the API. With caching off, an origin request policy that
        // forwards all viewer headers forwards Authorization too (CloudFront developer guide, "Forward the
        // Authorization header").
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: this.webAcl.attrArn,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    const acknowledge = (id: string, reason: string) =>
      Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-CFR1',
      "Segment sends from Segment's own infrastructure for every customer: a country filter would only cut off customers' data.",
    );
    acknowledge(
      'AwsSolutions-CFR3',
      "Every request the edge passes is in the API's access log; the ones AWS WAF blocks are counted in its CloudWatch metrics and sampled requests (RequestsPerKey).",
    );
    acknowledge(
      'AwsSolutions-CFR4',
      'The edge serves the default *.cloudfront.net certificate, whose minimum protocol CloudFront sets; a custom domain on the edge (which would take TLSv1.2_2021) is not built.',
    );
  }
}
