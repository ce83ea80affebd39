import { silentLogger } from '../../../adapters/system/json-logger';
import type { MetricName } from '../../../domain/contract/metrics';
import { DEFAULT_RETRY_POLICY } from '../../../domain/core/ingest/deliver';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import {
  createFakeClock,
  createIngestEvent,
  createTrackMessage,
  lambdaContext,
} from '../../support/factories';
import { MemorySink } from '../../support/memory/memory-sink';

describe('ingest counts its 4xx answers (what a deployment compares between versions)', () => {
  it('counts a refused message or key, not an accepted request, nor a 429', async () => {
    const counted: MetricName[] = [];
    const handler = createIngestHandler({
      sink: new MemorySink(),
      clock: createFakeClock(),
      retry: DEFAULT_RETRY_POLICY,
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
      metrics: { count: (name) => counted.push(name), flush: () => undefined },
      fairShare: { take: async () => ({ ok: false, retryAfterSeconds: 1 }) },
    });
    const send = (body: unknown, authorizer?: Record<string, unknown>) =>
      handler(
        createIngestEvent({ body: JSON.stringify(body), ...(authorizer ? { authorizer } : {}) }),
        lambdaContext,
      );

    const limited = await send(createTrackMessage());
    const refusedKey = await send(createTrackMessage(), { denied: 'unknown_key' });
    const broken = await handler(createIngestEvent({ body: '{"type":' }), lambdaContext);

    expect([limited.statusCode, refusedKey.statusCode, broken.statusCode]).toEqual([429, 401, 400]);
    expect(counted.filter((n) => n === 'Answered4xx')).toHaveLength(2);
    expect(counted.filter((n) => n === 'Answered5xx')).toHaveLength(0);
  });
});
