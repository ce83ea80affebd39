import {
  FairShare,
  type FairShareCounter,
  fairShareSettings,
} from '../../../../domain/core/ingest/fair-share';
import { createFakeClock } from '../../../support/factories';
import { MemoryFairShareCounter } from '../../../support/memory/memory-fair-share-counter';

describe('FairShare: each customer’s share of the stage, across ingest instances', () => {
  it('lets a quiet customer through on the instance’s allowance, without any lookup', async () => {
    const counter = new MemoryFairShareCounter();
    const share = new FairShare(fairShareSettings(2_500), counter, createFakeClock());

    for (let i = 0; i < 10; i++) expect(await share.take('live', 1)).toEqual({ ok: true });
    expect(counter.calls).toBe(0);
  });

  it('holds a customer to its limit per second through many instances, and leaves the others alone', async () => {
    const clock = createFakeClock();
    const counter = new MemoryFairShareCounter();
    const settings = fairShareSettings(1_000); // leases of 50, 10 free per instance
    const instances = Array.from({ length: 8 }, () => new FairShare(settings, counter, clock));
    const admitted: number[] = [];

    for (let second = 0; second < 5; second++) {
      let got = 0;
      // 10× its share offered, in 100-event requests spread over the instances.
      for (let r = 0; r < 100; r++) if ((await instances[r % 8]!.take('replaying', 100)).ok) got += 100;
      admitted.push(got);
      // Another customer, on the same instances in the same second, is not refused once.
      for (let r = 0; r < 40; r++)
        expect(await instances[r % 8]!.take(`live-${r % 4}`, 1)).toEqual({ ok: true });
      await clock.sleep(1_000);
    }

    // At most the limit plus each instance's allowance (here none: 100-event requests pass it).
    for (const got of admitted) {
      expect(got).toBeLessThanOrEqual(1_000 + 8 * settings.allowancePerInstance);
      expect(got).toBeGreaterThanOrEqual(1_000 - 8 * settings.leaseEvents);
    }
    // Leases, not a write per request: at most a few per instance and second.
    expect(counter.calls).toBeLessThan(5 * 8 * 4);
  });

  it('answers 429 with Retry-After 1 once the second is used up, without asking again', async () => {
    const clock = createFakeClock();
    const counter = new MemoryFairShareCounter();
    const share = new FairShare(
      { eventsPerSecond: 100, leaseEvents: 50, allowancePerInstance: 0 },
      counter,
      clock,
    );

    expect(await share.take('a', 100)).toEqual({ ok: true });
    expect(await share.take('a', 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
    const calls = counter.calls;
    expect(await share.take('a', 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(counter.calls).toBe(calls);
    await clock.sleep(1_000);
    expect(await share.take('a', 100)).toEqual({ ok: true });
  });

  it('fails open when the counter cannot answer, and says so', async () => {
    const failing: FairShareCounter = { lease: async () => Promise.reject(new Error('TimeoutError')) };
    const told: unknown[] = [];
    const share = new FairShare(fairShareSettings(100), failing, createFakeClock(), (e) => told.push(e));

    expect(await share.take('a', 100)).toEqual({ ok: true });
    expect(told).toHaveLength(1);
  });

  it('refuses settings that could never let anything through', () => {
    const counter = new MemoryFairShareCounter();
    expect(
      () =>
        new FairShare(
          { eventsPerSecond: 0, leaseEvents: 1, allowancePerInstance: 0 },
          counter,
          createFakeClock(),
        ),
    ).toThrow(RangeError);
    expect(
      () =>
        new FairShare(
          { eventsPerSecond: 10, leaseEvents: 20, allowancePerInstance: 0 },
          counter,
          createFakeClock(),
        ),
    ).toThrow(RangeError);
  });
});
