import { MemorySink } from '../../../lambdas/adapters/memory/memory-sink';
import { silentLogger } from '../../../lambdas/adapters/system/json-logger';
import { DEFAULT_RETRY_POLICY } from '../../../lambdas/core/ingest/deliver';
import { FairShare } from '../../../lambdas/core/ingest/fair-share';
import { DEFAULT_LIMITS } from '../../../lambdas/core/ingest/limits';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import {
  createFakeClock,
  createIngestEvent,
  createTrackMessage,
  lambdaContext,
} from '../../support/factories';

describe('ingest handler: one customer above its share', () => {
  it('gets 429 with Retry-After and nothing stored, while another customer is unaffected', async () => {
    const clock = createFakeClock();
    const sink = new MemorySink();
    const handler = createIngestHandler({
      sink,
      clock,
      retry: DEFAULT_RETRY_POLICY,
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
      fairShare: new FairShare({ eventsPerSecond: 100, burstEvents: 200 }, clock),
    });
    const batch = (customerId: string, n: number) =>
      createIngestEvent({
        body: JSON.stringify({ batch: Array.from({ length: n }, () => createTrackMessage()) }),
        authorizer: { customerId, tokenId: 't', eventAliases: '{}' },
      });

    const replaying = [
      await handler(batch('replaying', 200), lambdaContext),
      await handler(batch('replaying', 50), lambdaContext),
    ];
    const quiet = await handler(batch('quiet', 50), lambdaContext);

    expect(replaying.map((a) => a.statusCode)).toEqual([200, 429]);
    expect(replaying[1]!.headers['retry-after']).toBe('1');
    expect(JSON.parse(replaying[1]!.body)).toMatchObject({ code: 'rate_limited' });
    expect(quiet.statusCode).toBe(200);
    const stored = sink.lines('events');
    expect(stored.filter((e) => e.customer_id === 'replaying')).toHaveLength(200);
    expect(stored.filter((e) => e.customer_id === 'quiet')).toHaveLength(50);
    expect(
      sink
        .lines('ledger')
        .map((l) => l.customer_id)
        .sort(),
    ).toEqual(['quiet', 'replaying']);

    await clock.sleep(1_000); // after Retry-After, Segment's resend goes through
    expect((await handler(batch('replaying', 50), lambdaContext)).statusCode).toBe(200);
  });
});
