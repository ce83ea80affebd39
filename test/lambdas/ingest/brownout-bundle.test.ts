import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizerEvent, integrationEvent, localRequest } from '../../../adapters/aws/api-gateway-events';
import { DEFAULT_BREAKER } from '../../../domain/core/common/breaker';
import { AUTHORIZER_DEADLINE_MS, INGEST_DEADLINE } from '../../../domain/core/ingest/request-deadline';
import { TOKEN_PREFIX } from '../../../domain/core/keys/tokens';
import { type ServiceName, startBrownout } from '../../support/aws-brownout';
import { bundleLambda, runBundled, templateEnvironment } from '../../support/bundled-lambda';
import { createTrackMessage, TEST_NOW } from '../../support/factories';
import { basicAuth } from '../../support/local-destination';

/**
 * The ingest function and the authorizer as Lambda runs them — bundled with the stack's own esbuild
 * options, with the environment the synthesized template gives them, each in its own Node process —
 * against AWS endpoints that never answer, answer late, answer slowly, or reset the connection.
 * The promise: an answer within 1.5 s (503 + Retry-After when a store did not answer, never 500),
 * and, once a dependency's breaker is open, at once and without calling it.
 */
const PROMISED_MS = 1_500;
// A request whose breaker is open does no I/O: its own work only.
const AT_ONCE_MS = 100;

describe('the bundled functions against AWS endpoints that do not answer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brownout-bundle-'));
  let ingest: string;
  let authorizer: string;
  beforeAll(async () => {
    [ingest, authorizer] = await Promise.all([
      bundleLambda('ingest/handler.ts', join(dir, 'ingest')),
      bundleLambda('authorizer/handler.ts', join(dir, 'authorizer')),
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ingestEvent = (body: unknown, type?: string) =>
    integrationEvent(
      localRequest({
        body: JSON.stringify(body),
        ...(type ? { path: `/v1/${type}`, routeKey: 'POST /v1/{type}', pathParameters: { type } } : {}),
      }),
      `brownout-${Math.random().toString(36).slice(2)}`,
      TEST_NOW,
      { customerId: 'acme', tokenId: 'tok_1', eventAliases: '{}' },
    );

  async function runIngest(
    modes: Partial<Record<ServiceName, 'ok' | 'never' | 'reset' | { lateMs: number }>>,
    runs: number,
    body: unknown = { batch: [createTrackMessage({ messageId: 'brownout-1' })] },
    type?: string,
  ) {
    const aws = await startBrownout(modes);
    try {
      const run = await runBundled(ingest, ingestEvent(body, type), runs, {
        ...templateEnvironment('IngestFunction'),
        AWS_ENDPOINT_URL: aws.endpoint,
      });
      return { ...run, aws };
    } finally {
      await aws.close();
    }
  }

  it('Kinesis never answers: 503 + Retry-After within 1.5 s; after three timeouts the breaker answers at once, calling nothing', async () => {
    const runs = DEFAULT_BREAKER.timeouts + 2;
    const { statuses, eventsMs, headers, aws } = await runIngest({ kinesis: 'never' }, runs);

    expect(statuses).toEqual(Array(runs).fill(503));
    for (const h of headers) expect(h['retry-after']).toBe('30');
    for (const ms of eventsMs) expect(ms).toBeLessThanOrEqual(PROMISED_MS);
    // Each timed-out request made one put (its events'); no ledger put after it.
    expect(aws.count('kinesis', 'PutRecords')).toBe(DEFAULT_BREAKER.timeouts);
    for (const ms of eventsMs.slice(DEFAULT_BREAKER.timeouts)) expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  it('Kinesis answers after the deadline: 503 within 1.5 s, and the late put (which stored) is never acknowledged', async () => {
    const { statuses, eventsMs, aws } = await runIngest(
      { kinesis: { lateMs: INGEST_DEADLINE.totalMs + 300 } },
      1,
    );
    expect(statuses).toEqual([503]);
    expect(eventsMs[0]).toBeLessThanOrEqual(PROMISED_MS);
    // Only the events' put went out: the ledger line, which says "answered", was never sent.
    expect(aws.count('kinesis', 'PutRecords')).toBe(1);
  });

  it('Kinesis answers slowly but in time: 200 with the events and the ledger line stored', async () => {
    const { statuses, eventsMs, aws } = await runIngest({ kinesis: { lateMs: 200 } }, 1);
    expect(statuses).toEqual([200]);
    expect(eventsMs[0]).toBeLessThanOrEqual(PROMISED_MS);
    expect(aws.count('kinesis', 'PutRecords')).toBe(2);
    expect(aws.stored.join('')).toContain('brownout-1');
  });

  it('Kinesis resets every connection: retried within the deadline, then 503 within 1.5 s', async () => {
    const { statuses, eventsMs, aws } = await runIngest({ kinesis: 'reset' }, 1);
    expect(statuses).toEqual([503]);
    expect(eventsMs[0]).toBeLessThanOrEqual(PROMISED_MS);
    expect(aws.count('kinesis', 'PutRecords')).toBeGreaterThan(1);
  });

  it('DynamoDB and Secrets Manager never answer: events are stored without the erased-user filter (200); a delete is answered 503 — both within 1.5 s', async () => {
    const down = { dynamodb: 'never', secretsmanager: 'never' } as const;
    const track = await runIngest(down, 1);
    expect(track.statuses).toEqual([200]);
    expect(track.eventsMs[0]).toBeLessThanOrEqual(PROMISED_MS);
    expect(track.aws.stored.join('')).toContain('brownout-1');

    const erase = await runIngest(down, 1, { userId: 'u-gone', messageId: 'delete-1' }, 'delete');
    expect(erase.statuses).toEqual([503]);
    expect(erase.eventsMs[0]).toBeLessThanOrEqual(PROMISED_MS);
  });

  it('the authorizer, DynamoDB never answering: an "unavailable" verdict (503 at ingest) within its deadline; then its breaker answers at once', async () => {
    const aws = await startBrownout({ dynamodb: 'never' });
    try {
      const runs = DEFAULT_BREAKER.timeouts + 1;
      const key = `${TOKEN_PREFIX}${'a'.repeat(43)}`;
      const event = authorizerEvent(
        localRequest({ path: '/v1/batch', headers: { authorization: basicAuth(key) } }),
        'auth-brownout',
        TEST_NOW,
      );
      const { statuses, contexts, eventsMs } = await runBundled(authorizer, event, runs, {
        ...templateEnvironment('IngestAuthorizerFunction'),
        AWS_ENDPOINT_URL: aws.endpoint,
      });
      expect(statuses).toEqual(Array(runs).fill('allow'));
      for (const context of contexts) expect(context).toEqual({ unavailable: 'key_store' });
      for (const ms of eventsMs) expect(ms).toBeLessThanOrEqual(AUTHORIZER_DEADLINE_MS + 300);
      expect(eventsMs[runs - 1]).toBeLessThan(AT_ONCE_MS);
      expect(aws.count('dynamodb', 'GetItem')).toBe(DEFAULT_BREAKER.timeouts);

      // The ingest function turns that verdict into 503 + Retry-After, before reading the body.
      const ingestAws = await startBrownout({});
      try {
        const answer = await runBundled(
          ingest,
          integrationEvent(localRequest({ body: '{}' }), 'r', TEST_NOW, contexts[0]!),
          1,
          { ...templateEnvironment('IngestFunction'), AWS_ENDPOINT_URL: ingestAws.endpoint },
        );
        expect(answer.statuses).toEqual([503]);
        expect(answer.headers[0]!['retry-after']).toBe('30');
        expect(ingestAws.calls).toEqual([]);
      } finally {
        await ingestAws.close();
      }
    } finally {
      await aws.close();
    }
  });
});
