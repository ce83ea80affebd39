import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';
import { integrationEvent, localRequest } from '../../adapters/aws/api-gateway-events';
import { systemClock } from '../../adapters/system/clock';
import type { Clock } from '../../domain/core/common/ports';

/** The "now" of tests that need an instant: fixed, so nothing depends on the day the suite runs. */
export const TEST_NOW = new Date('2026-11-28T12:00:00.000Z');

let sequence = 0;
const nextId = () => `msg-${++sequence}`;

/** A valid track message; override any field. */
export function createTrackMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'track',
    messageId: nextId(),
    userId: 'user-1',
    event: 'Signed Up',
    timestamp: '2026-11-28T10:00:00.000Z',
    ...overrides,
  };
}

export function createIdentifyMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'identify',
    messageId: nextId(),
    userId: 'user-1',
    traits: { plan: 'pro' },
    timestamp: '2026-11-28T10:00:00.000Z',
    ...overrides,
  };
}

/** A whole lake line of the given area, as the ingest core writes it (the lake reader checks lines against the contract). */
export function lakeLineJson(
  area: 'events' | 'quarantine',
  messageId: string,
  extra: Record<string, unknown> = {},
): string {
  const common = {
    customer_id: 'acme',
    dt: '2026-01-01',
    request_id: 'req-1',
    received_at: '2026-01-01T10:00:00.000Z',
  };
  const record =
    area === 'events'
      ? {
          schema_version: 1,
          area: 'events',
          message_id: messageId,
          message_id_generated: false,
          ...common,
          type: 'track',
          event: 'Signed Up',
          event_raw: 'Signed Up',
          event_key: 'signedup',
          user_id: 'u-1',
          anonymous_id: null,
          timestamp: '2026-01-01T09:00:00.000Z',
          timestamp_out_of_range: false,
          message: { type: 'track', ...extra },
        }
      : {
          schema_version: 1,
          area: 'quarantine',
          ...common,
          index: 0,
          message_id: messageId,
          reason: { code: 'missing_identity', message: 'x' },
        };
  return JSON.stringify(record);
}

/**
 * A clock whose `sleep` advances time at once, recording each delay. Its deadline timer (`timer`) never
 * fires unless `expireAfter` is given: then the timer of `expireAfter` ms or less fires at once, so a
 * dependency raced against a deadline share that small loses, as one that never answers would.
 */
export function createFakeClock(
  start = Date.parse('2026-11-28T12:00:00.000Z'),
  random = () => 0.5,
  expireAfter?: number,
): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    timer: (ms) => ({
      fired:
        expireAfter !== undefined && ms <= expireAfter
          ? Promise.resolve().then(() => {
              now += ms;
            })
          : new Promise(() => undefined),
      cancel: () => undefined,
    }),
  };
}

/**
 * A clock that starts at `start` and then runs at real speed, sleeping for real: for servers under
 * test, whose receive dates must not depend on the day the suite runs.
 */
export function createPinnedClock(start = Date.parse('2026-11-28T12:00:00.000Z')): Clock {
  const offset = start - Date.now();
  return {
    now: () => Date.now() + offset,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: () => Math.random(),
    timer: systemClock.timer,
  };
}

/** An API Gateway payload 2.0 event for the ingest function, as the HTTP API sends it (request id `req-1`). */
export function createIngestEvent(
  options: {
    body?: string | Buffer;
    gzip?: boolean;
    authorizer?: Record<string, unknown>;
    path?: string;
    type?: string;
    headers?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2WithLambdaAuthorizer<Partial<Record<string, unknown>>> {
  const request = localRequest({
    path: options.path ?? '/',
    routeKey: options.type ? 'POST /v1/{type}' : 'POST /',
    headers: {
      'content-type': 'application/json',
      ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
      ...options.headers,
    },
    ...(options.type ? { pathParameters: { type: options.type } } : {}),
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  return integrationEvent(
    request,
    'req-1',
    TEST_NOW,
    options.authorizer ?? { customerId: 'acme', tokenId: 'tok_1', eventAliases: '{}' },
  );
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
