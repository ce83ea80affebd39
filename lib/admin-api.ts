import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import type { AdminEnvironment } from '../domain/contract/environment';
import { ADMIN_ROUTES, ENABLE_CALLBACK_PATH } from '../domain/contract/routes';
import { HouseFunction } from './house-function';
import type { TokenTable } from './token-table';

export interface AdminApiProps {
  readonly api: apigwv2.HttpApi;
  /** The URL Segment is given (the stable domain when there is one): the callback page is under it. */
  readonly endpointUrl: string;
  readonly tokens: TokenTable;
  readonly segmentSlug: string;
  /** The stack's capacity: issuing a key past it answers with a warning. */
  readonly maxCustomers: number;
  /** Where Segment returns the customer; defaults to the API's own callback page. */
  readonly enableRedirectUrl?: string | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Customer onboarding on the same HTTP API: admin routes that only our backend can call (AWS IAM,
 * SigV4), and the public page Segment returns the customer to after enabling the destination.
 */
export class AdminApi extends Construct {
  readonly admin: HouseFunction;
  readonly callback: HouseFunction;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    const redirectUrl = props.enableRedirectUrl ?? `${props.endpointUrl}${ENABLE_CALLBACK_PATH}`;
    this.admin = new HouseFunction(this, 'Admin', {
      entry: 'admin/handler.ts',
      description: 'Segment destination: issue and revoke keys, enable and disable customers',
      environment: {
        TOKENS_TABLE: props.tokens.table.tableName,
        SEGMENT_SLUG: props.segmentSlug,
        ENABLE_REDIRECT_URL: redirectUrl,
        MAX_CUSTOMERS: String(props.maxCustomers),
      } satisfies AdminEnvironment,
      timeout: Duration.seconds(10),
      live: {},
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    props.tokens.grantAdmin(this.admin.function);
    const iam = new HttpIamAuthorizer();
    const adminIntegration = new HttpLambdaIntegration('AdminIntegration', this.admin.alias!);
    for (const route of ADMIN_ROUTES) {
      const [method, path] = route.split(' ') as [apigwv2.HttpMethod, string];
      props.api.addRoutes({ path, methods: [method], integration: adminIntegration, authorizer: iam });
    }

    this.callback = new HouseFunction(this, 'Callback', {
      entry: 'callback/handler.ts',
      description: 'Segment destination: the page customers return to after enabling it',
      timeout: Duration.seconds(3),
      memorySize: 128,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const [callbackRoute] = props.api.addRoutes({
      path: ENABLE_CALLBACK_PATH,
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('CallbackIntegration', this.callback.function),
    });
    Validations.of(callbackRoute!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Customers' browsers land here from Segment with no credentials; the page is static and reveals nothing.",
    });
  }
}
