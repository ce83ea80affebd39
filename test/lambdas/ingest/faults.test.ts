import { FaultInjectingSink, parseFaultPlan } from '../../../adapters/faults/fault-injecting-sink';
import { silentLogger } from '../../../adapters/system/json-logger';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import {
  createFakeClock,
  createIngestEvent,
  createTrackMessage,
  lambdaContext,
} from '../../support/factories';
import { MemorySink } from '../../support/memory/memory-sink';

function setup(plan: ConstructorParameters<typeof FaultInjectingSink>[1]) {
  const store = new MemorySink();
  const waited: number[] = [];
  const faulty = new FaultInjectingSink(store, plan, async (ms) => {
    waited.push(ms);
  });
  const handler = createIngestHandler({
    sink: faulty,
    clock: createFakeClock(),
    retry: {
      budgetMs: 5_000,
      baseDelayMs: 20,
      maxDelayMs: 500,
      retryAfterSeconds: 30,
      throttleBudgetMs: 5_000,
    },
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  });
  // Each message gets its own dt, so each travels in its own record and faults hit records independently.
  const send = async (ids: string[]) => {
    const batch = ids.map((messageId, i) =>
      createTrackMessage({ messageId, timestamp: new Date(Date.UTC(2025, 0, 1 + i)).toISOString() }),
    );
    return handler(createIngestEvent({ body: JSON.stringify({ batch }) }), lambdaContext);
  };
  const stored = () => store.lines('events').map((e) => e.message_id as string);
  return { store, faulty, send, stored, waited };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const counts = (values: string[]) =>
  values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());

describe('ingest under injected sink faults', () => {
  it('rides out throttling by retrying only refused records: everything stored once', async () => {
    const { send, stored, store } = setup({ throttleRate: 0.4, seed: 3 });
    const sent = ids('throttled', 40);

    const answer = await send(sent);

    expect(answer.statusCode).toBe(200);
    expect([...counts(stored()).values()].every((n) => n === 1)).toBe(true);
    expect(stored().sort()).toEqual([...sent].sort());
    expect(store.sent).toHaveLength(store.acknowledged.length);
  });

  it('adds latency without changing the answer', async () => {
    const { send, stored, waited } = setup({ latencyMs: 5 });

    expect((await send(ids('slow', 3))).statusCode).toBe(200);
    expect(stored()).toHaveLength(3);
    // Every put waited the injected latency first: the events' put and the ledger line's.
    expect(waited).toEqual([5, 5]);
  });

  it('answers 503 with Retry-After while the sink is unavailable, and recovers when the fault clears', async () => {
    const { send, stored, faulty } = setup({ unavailableRate: 1 });

    const during = await send(ids('outage', 5));
    faulty.setPlan({});
    const after = await send(ids('outage', 5));

    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBe('30');
    expect(after.statusCode).toBe(200);
    expect(stored().sort()).toEqual(ids('outage', 5).sort());
  });

  it('answers 500 (retried by Segment) for a crash mid-batch; the resend stores the rest, duplicates are only of what was stored', async () => {
    const { send, stored, faulty } = setup({ crashRate: 1 });
    const batch = ids('crash', 6);

    const crashed = await send(batch);
    const storedBeforeResend = new Set(stored());
    faulty.setPlan({});
    const resent = await send(batch);

    expect(crashed.statusCode).toBe(500);
    expect(storedBeforeResend.size).toBeGreaterThan(0);
    expect(resent.statusCode).toBe(200);
    expect(new Set(stored())).toEqual(new Set(batch));
    for (const [id, n] of counts(stored())) expect(n).toBe(storedBeforeResend.has(id) ? 2 : 1);
  });

  it('never loses an acknowledged event across many requests under mixed faults', async () => {
    const { send, stored } = setup({ throttleRate: 0.2, unavailableRate: 0.1, crashRate: 0.05, seed: 11 });
    const acknowledged: string[] = [];

    for (let r = 0; r < 60; r++) {
      const batch = ids(`mixed-${r}`, 4);
      if ((await send(batch)).statusCode === 200) acknowledged.push(...batch);
    }

    const landed = new Set(stored());
    // A put whose every record is throttled is answered 503 at once, so fewer requests succeed than
    // with a retry loop (92 of 240 with this seed); what matters is that none of them is lost.
    expect(acknowledged.length).toBeGreaterThan(60);
    expect(acknowledged.filter((id) => !landed.has(id))).toEqual([]);
  });

  it('reads FAULTS with a clear error for a bad entry', () => {
    expect(parseFaultPlan('latency=20, throttle=0.3,crash=0.01,seed=7')).toEqual({
      latencyMs: 20,
      throttleRate: 0.3,
      crashRate: 0.01,
      seed: 7,
    });
    expect(() => parseFaultPlan('throttle=2')).toThrow(/rates 0..1/);
    expect(() => parseFaultPlan('explode=1')).toThrow(/not one of/);
  });
});
