// Node's own UTF-8 validation: checks the bytes without decoding them into a string.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';

/** What API Gateway hands the ingest function: the request, with the authorizer's verdict context. */
export type IngestEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<Partial<Record<string, unknown>>>;

/** What the local server knows of a request: the parts API Gateway would put into its events. */
export interface LocalRequest {
  method: string;
  path: string;
  rawQueryString: string;
  headers: Record<string, string>;
  sourceIp: string;
  routeKey: string;
  pathParameters?: Record<string, string>;
  body: Buffer;
}

/**
 * A request to build events from, for tests and benches: `POST /` with a JSON content type unless told
 * otherwise. The one place, with the functions below, where API Gateway's events are made.
 */
export function localRequest(
  overrides: Partial<Omit<LocalRequest, 'body'>> & { body?: Buffer | string } = {},
): LocalRequest {
  const { body, ...rest } = overrides;
  const path = rest.path ?? '/';
  return {
    method: 'POST',
    path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    sourceIp: '127.0.0.1',
    routeKey: `${rest.method ?? 'POST'} ${path}`,
    ...rest,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body ?? ''),
  };
}

/** The payload 2.0 event of a route with no Lambda authorizer (the IAM-authorized admin API, the callback page). */
export function routeEvent(request: LocalRequest, requestId: string, time: Date): APIGatewayProxyEventV2 {
  return {
    ...eventHead(request),
    requestContext: requestContext(request, requestId, time),
    isBase64Encoded: false,
    ...(request.body.length > 0 ? { body: request.body.toString('utf8') } : {}),
  } as APIGatewayProxyEventV2;
}

/** What every payload 2.0 event starts with: the route, the path, the query and the headers. */
function eventHead(request: LocalRequest) {
  return {
    version: '2.0',
    routeKey: request.routeKey,
    rawPath: request.path,
    rawQueryString: request.rawQueryString,
    headers: request.headers,
    ...(request.pathParameters ? { pathParameters: request.pathParameters } : {}),
  };
}

function requestContext(request: LocalRequest, requestId: string, time: Date) {
  return {
    accountId: 'local',
    apiId: 'local',
    domainName: 'localhost',
    domainPrefix: 'localhost',
    http: {
      method: request.method,
      path: request.path,
      protocol: 'HTTP/1.1',
      sourceIp: request.sourceIp,
      userAgent: request.headers['user-agent'] ?? '',
    },
    requestId,
    routeKey: request.routeKey,
    stage: '$default',
    time: time.toISOString(),
    timeEpoch: time.getTime(),
  };
}

/** The payload 2.0 event API Gateway sends a REQUEST authorizer whose identity source is the Authorization header. */
export function authorizerEvent(
  request: LocalRequest,
  requestId: string,
  time: Date,
): APIGatewayRequestAuthorizerEventV2 {
  return {
    ...eventHead(request),
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:local:local/$default/${request.routeKey.replace(' ', '')}`,
    identitySource: [request.headers.authorization ?? ''],
    requestContext: requestContext(request, requestId, time),
  } as APIGatewayRequestAuthorizerEventV2;
}

/**
 * The payload 2.0 event API Gateway sends the integration, with the authorizer's context. Bodies that
 * are compressed or not UTF-8 text are passed base64-encoded, as API Gateway passes binary content.
 */
export function integrationEvent(
  request: LocalRequest,
  requestId: string,
  time: Date,
  authorizer: Record<string, unknown>,
): IngestEvent {
  const binary = Boolean(request.headers['content-encoding']) || !isUtf8(request.body);
  return {
    ...eventHead(request),
    requestContext: { ...requestContext(request, requestId, time), authorizer: { lambda: authorizer } },
    body: binary ? request.body.toString('base64') : request.body.toString('utf8'),
    isBase64Encoded: binary,
  } as IngestEvent;
}

/** A Lambda context with API Gateway's 30 s integration timeout as the deadline. */
export function lambdaContext(functionName: string, requestId = randomUUID()): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
