import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';

export interface StableEndpointProps {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.IStage;
  readonly domainName: string;
  /** An ACM certificate for the domain, in the stack's region. */
  readonly certificateArn: string;
  /** A Route 53 hosted zone to create the domain's record in; unset: point your DNS at `target`. */
  readonly hostedZoneId?: string | undefined;
}

/**
 * The URL Segment holds for every customer, independent of the API behind it: a custom domain (TLS 1.2)
 * mapped to the HTTP API's stage. If the API is ever replaced, the mapping moves to the new one and no
 * customer re-enables anything (docs/operations.md, "Moving the endpoint").
 */
export class StableEndpoint extends Construct {
  readonly url: string;
  readonly domain: apigwv2.DomainName;

  constructor(scope: Construct, id: string, props: StableEndpointProps) {
    super(scope, id);
    this.domain = new apigwv2.DomainName(this, 'Domain', {
      domainName: props.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
    });
    new apigwv2.ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domain, stage: props.stage });
    if (props.hostedZoneId)
      new route53.CfnRecordSet(this, 'Record', {
        hostedZoneId: props.hostedZoneId,
        name: props.domainName,
        type: 'A',
        aliasTarget: {
          dnsName: this.domain.regionalDomainName,
          hostedZoneId: this.domain.regionalHostedZoneId,
        },
      });
    this.url = `https://${props.domainName}`;
  }
}
