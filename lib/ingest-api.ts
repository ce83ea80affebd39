import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import type { IngestEnvironment, TokensEnvironment } from '../domain/contract/environment';
import { ACCESS_LOG_FIELDS } from '../domain/contract/logging';
import { INGEST_ROUTES } from '../domain/contract/routes';
import { FAIR_SHARE_EXPIRY_ATTRIBUTE, FAIR_SHARE_KEY_ATTRIBUTE } from '../domain/contract/token-table';
import { DeliveryPipeline } from './delivery-pipeline';
import { HouseFunction } from './house-function';
import type { TokenTable } from './token-table';

export interface IngestApiProps {
  readonly tokens: TokenTable;
  /** Turn off the default execute-api URL (a custom domain serves the API). */
  readonly disableExecuteApiEndpoint?: boolean | undefined;
  /** The delivery shards (Kinesis → Firehose pairs), shard 0 first. */
  readonly deliveries: readonly DeliveryPipeline[];
  readonly authorizerCacheTtl: Duration;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /** Events per second one customer may send through all ingest instances; unset: no limit. */
  readonly fairShareEventsPerSecond?: number | undefined;
  /** Concurrency reserved for the authorizer, so a flood of ingest invocations cannot starve it. */
  readonly authorizerReservedConcurrency?: number | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Provisioned concurrency on the ingest function's live alias; unset or 0: none. */
  readonly provisionedConcurrency?: number | undefined;
}

/**
 * The public endpoint: an HTTP API (a third of a REST API's per-request price, which dominates when
 * Segment sends one event per request), a cached Lambda REQUEST authorizer on the Authorization
 * header, and the ingest function behind every route.
 */
export class IngestApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly ingest: HouseFunction;
  readonly authorizer: HouseFunction;
  readonly accessLogs: logs.LogGroup;
  /** The fair share's count per customer and second, when there is a fair share. */
  readonly fairShareTable?: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    this.authorizer = new HouseFunction(this, 'Authorizer', {
      entry: 'authorizer/handler.ts',
      description: 'Segment destination: checks the API key of each request',
      environment: { TOKENS_TABLE: props.tokens.table.tableName } satisfies TokensEnvironment,
      timeout: Duration.seconds(5),
      reservedConcurrentExecutions: props.authorizerReservedConcurrency,
      live: {},
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    props.tokens.grantAuthorize(this.authorizer.function);

    if (props.fairShareEventsPerSecond !== undefined) {
      // Counts live a minute (TTL): nothing here to back up or keep when the stack goes.
      this.fairShareTable = new dynamodb.Table(this, 'FairShare', {
        partitionKey: { name: FAIR_SHARE_KEY_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        timeToLiveAttribute: FAIR_SHARE_EXPIRY_ATTRIBUTE,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      Validations.of(this.fairShareTable).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason:
          'Per-second fair-share counters that expire after a minute: point-in-time recovery would restore nothing anyone needs.',
      });
    }
    this.ingest = new HouseFunction(this, 'Ingest', {
      entry: 'ingest/handler.ts',
      description: 'Segment destination: validates, normalizes and stores events',
      environment: {
        ...DeliveryPipeline.ingestEnvironment(props.deliveries),
        ...(this.fairShareTable === undefined
          ? {}
          : {
              FAIR_SHARE_EVENTS_PER_SECOND: String(props.fairShareEventsPerSecond),
              FAIR_SHARE_TABLE: this.fairShareTable.tableName,
            }),
      } satisfies IngestEnvironment,
      // Waiting on AWS ends within the request's deadline (INGEST_DEADLINE, 1 s from the handler's start;
      // domain/core/ingest/request-deadline.ts). What is left is the request's own work: parsing and
      // validating a maximal body (32 MiB inflated) on 512 MB's share of a CPU. 20 s bounds that, inside
      // the 30 s API Gateway gives an integration.
      timeout: Duration.seconds(20),
      memorySize: 512,
      live: { provisionedConcurrency: props.provisionedConcurrency },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    for (const delivery of props.deliveries) delivery.grantPut(this.ingest.function);
    if (this.fairShareTable)
      iam.Grant.addToPrincipal({
        grantee: this.ingest.function,
        actions: ['dynamodb:UpdateItem'],
        resourceArns: [this.fairShareTable.tableArn],
      });

    // API Gateway invokes the live aliases, never $LATEST: a deployment decides which version serves.
    const authorizer = new HttpLambdaAuthorizer('ApiKey', this.authorizer.alias!, {
      authorizerName: 'segment-api-key',
      identitySource: ['$request.header.Authorization'],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: props.authorizerCacheTtl,
    });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Segment destination ingest',
      createDefaultStage: false,
      // Only with a custom domain (lib/config.ts): then the domain is the one way in.
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint ?? false,
    });
    const integration = new HttpLambdaIntegration('IngestIntegration', this.ingest.alias!, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    for (const path of INGEST_ROUTES) {
      this.api.addRoutes({ path, methods: [apigwv2.HttpMethod.POST], integration, authorizer });
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
      // A line a request, read only when something is looked into: the Infrequent Access class halves its
      // ingestion price (domain/contract/logging.ts).
      logGroupClass: logs.LogGroupClass.INFREQUENT_ACCESS,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
  }

  get url(): string {
    return this.api.apiEndpoint;
  }
}
