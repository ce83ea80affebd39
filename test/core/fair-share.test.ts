import { FairShare, fairShareLimit } from '../../lambdas/core/ingest/fair-share';
import { DEFAULT_LIMITS } from '../../lambdas/core/ingest/limits';
import { createFakeClock } from '../support/factories';

describe('FairShare: a token bucket per customer', () => {
  it('lets exactly the burst through at once, then the rate, and says when to retry', async () => {
    const clock = createFakeClock();
    const share = new FairShare({ eventsPerSecond: 100, burstEvents: 300 }, clock);

    expect(share.take('acme', 300)).toEqual({ ok: true }); // at the burst
    expect(share.take('acme', 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
    await clock.sleep(1_000);
    expect(share.take('acme', 100)).toEqual({ ok: true }); // one second refilled the rate
    expect(share.take('acme', 250)).toEqual({ ok: false, retryAfterSeconds: 3 });
  });

  it('keeps each customer’s bucket apart', () => {
    const share = new FairShare({ eventsPerSecond: 10, burstEvents: 10 }, createFakeClock());

    expect(share.take('a', 10)).toEqual({ ok: true });
    expect(share.take('a', 1).ok).toBe(false);
    expect(share.take('b', 10)).toEqual({ ok: true });
  });

  it('always fits one maximum-size request in the burst', () => {
    const limit = fairShareLimit(50, DEFAULT_LIMITS);
    const share = new FairShare(limit, createFakeClock());

    expect(limit.burstEvents).toBe(DEFAULT_LIMITS.maxMessagesPerRequest);
    expect(share.take('acme', DEFAULT_LIMITS.maxMessagesPerRequest)).toEqual({ ok: true });
  });

  it('refuses a limit that could never let anything through', () => {
    expect(() => new FairShare({ eventsPerSecond: 0, burstEvents: 10 }, createFakeClock())).toThrow(
      RangeError,
    );
  });
});
