import { silentLogger } from '../../../adapters/system/json-logger';
import { DEFAULT_RETRY_POLICY } from '../../../domain/core/ingest/deliver';
import { FairShare, fairShareSettings } from '../../../domain/core/ingest/fair-share';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import {
  createFakeClock,
  createIngestEvent,
  createTrackMessage,
  lambdaContext,
} from '../../support/factories';
import { MemoryFairShareCounter } from '../../support/memory/memory-fair-share-counter';
import { MemorySink } from '../../support/memory/memory-sink';

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
      fairShare: new FairShare(
        { eventsPerSecond: 200, leaseEvents: 50, allowancePerInstance: 0 },
        new MemoryFairShareCounter(),
        clock,
      ),
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

describe('a Replay beside live customers, through eight ingest instances and a store of fixed capacity', () => {
  /**
   * Eight handlers share one store that takes 3,000 events a second (throttling the rest, as a full
   * Kinesis stream does) and, with a fair share, one count. One customer replays at ten times its share
   * in 100-event requests; forty live customers send one event at a time in between.
   */
  async function run(withFairShare: boolean): Promise<{ liveSent: number; liveAccepted: number }> {
    const clock = createFakeClock();
    let window = -1;
    let used = 0;
    const sink = new MemorySink(1_000 * 1024, (record) => {
      const now = Math.floor(clock.now() / 1000);
      if (now !== window) [window, used] = [now, 0];
      if (used + record.count > 3_000)
        return {
          ok: false,
          retryable: true,
          throttled: true,
          code: 'ProvisionedThroughputExceededException',
        };
      used += record.count;
      return undefined;
    });
    const counter = new MemoryFairShareCounter();
    const instances = Array.from({ length: 8 }, () =>
      createIngestHandler({
        sink,
        clock,
        retry: DEFAULT_RETRY_POLICY,
        limits: DEFAULT_LIMITS,
        logger: silentLogger,
        ...(withFairShare ? { fairShare: new FairShare(fairShareSettings(2_000), counter, clock) } : {}),
      }),
    );
    const send = (i: number, customerId: string, n: number) =>
      instances[i % 8]!(
        createIngestEvent({
          body: JSON.stringify({ batch: Array.from({ length: n }, () => createTrackMessage()) }),
          authorizer: { customerId, tokenId: 't', eventAliases: '{}' },
        }),
        lambdaContext,
      );
    let liveSent = 0;
    let liveAccepted = 0;
    for (let second = 0; second < 3; second++) {
      const start = clock.now();
      for (let i = 0; i < 300; i++) {
        if (i % 3 === 0) {
          liveSent += 1;
          if ((await send(i, `live-${i % 40}`, 1)).statusCode === 200) liveAccepted += 1;
        } else await send(i, 'replaying', 100); // 20,000 events offered a second: 10× its share
      }
      await clock.sleep(1_000 - ((clock.now() - start) % 1_000));
    }
    return { liveSent, liveAccepted };
  }

  it('keeps ≥ 99.9 % of live requests accepted with the fair share, and not without it', async () => {
    const fair = await run(true);
    const unfair = await run(false);

    expect(fair.liveAccepted / fair.liveSent).toBeGreaterThanOrEqual(0.999);
    expect(unfair.liveAccepted / unfair.liveSent).toBeLessThan(0.999);
  });
});
