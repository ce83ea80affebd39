import { readStackConfig } from '../../../lib/config';
import {
  forecastReplay,
  recommendSettings,
  requestHoldMs,
  type Scenario,
} from '../../../scripts/replay/replay-forecast';
import { stackFromTemplate, synthesizeTemplate } from '../../../scripts/replay/stack-twin';

/** The scenario the stack is sold for: 200 customers replay 5 years while 2,000 others send live. */
const SOLD: Scenario = {
  replayingCustomers: 200,
  years: 5,
  eventsPerDay: 20_000,
  replayRequestsPerSecond: 5_000,
  eventsPerRequest: 1,
  liveCustomers: 2_000,
  liveRequestsPerSecond: (2_000 * 14) / 60,
  eventBytes: 1_300,
  startHour: 12,
  accountConcurrency: 1_000,
  accountRequestsPerSecond: 10_000,
  accountShards: 1_000,
  // Fixed here so the arithmetic is exact; the CLI measures them on the code.
  coreMs: 0.05,
  lineBytesPerEventByte: 1.5,
  sinkMs: 10,
};
const LIVE_ONLY: Scenario = { ...SOLD, replayingCustomers: 0 };
const check = (plan: ReturnType<typeof forecastReplay>, name: string) =>
  plan.checks.find((c) => c.name === name)!;

describe('replay-sim: the stack’s twin, read from its synthesized template', () => {
  const defaults = stackFromTemplate(synthesizeTemplate({}));

  it('reads the settings that decide behaviour under load from the template, not from a copy of the defaults', () => {
    expect(defaults).toMatchObject({
      capacity: { maxCustomers: 150, activePartitionQuota: 500, deliveryShards: 1 },
      delivery: 'stream',
      streamShards: undefined,
      stageRateLimit: 5_000,
      authorizerCacheTtlSeconds: 300,
      authorizerReservedConcurrency: 50,
      fairShareEventsPerSecond: 1_000,
    });
    expect(
      stackFromTemplate(
        synthesizeTemplate({ streamShards: '7', fairShareEventsPerSecond: '40', delivery: 'stream' }),
      ),
    ).toMatchObject({ streamShards: 7, fairShareEventsPerSecond: 40 });
  });

  it('shows the default stack losing records after the 200 with 2,000 live customers and no Replay', () => {
    const plan = forecastReplay(defaults, LIVE_ONLY);

    // 2,000 customers + quarantine + ledger + 25 for redrive on one stream; twice at midnight.
    expect(check(plan, 'firehose-active-partitions')).toMatchObject({
      load: 2_027,
      limit: 500,
      failsAfter200: true,
      firstAt: 0,
    });
    expect(check(plan, 'firehose-active-partitions-at-midnight')).toMatchObject({
      load: 2 * 2_002 + 25,
      failsAfter200: true,
      firstAt: 12 * 3600,
    });
    // Ordered by when they fail, the silent one first at equal times.
    const firsts = plan.checks.map((c) => c.firstAt ?? Number.POSITIVE_INFINITY);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(plan.checks[0]!.name).toBe('firehose-active-partitions');
  });

  it('recommends settings synth accepts, under which the sold scenario loses nothing silently and live traffic stays whole', () => {
    const settings = recommendSettings(defaults, SOLD);
    expect(() => readStackConfig(settings)).not.toThrow();
    const production = stackFromTemplate(synthesizeTemplate(settings));

    const plan = forecastReplay(production, SOLD);

    expect(settings).toMatchObject({ maxCustomers: '2200', activePartitionQuota: '5000' });
    expect(plan.checks.filter((c) => c.firstAt !== null)).toEqual([]);
    expect(plan.liveSuccessPercent).toBeGreaterThanOrEqual(99.9);
    // 7.3 billion events at 5,000 a second: about 17 days, not a failure.
    expect(plan.replayDays).toBeGreaterThan(16);
    expect(plan.replayDays).toBeLessThan(18);
  });

  it('recommends nothing synth would refuse, even for a tiny scenario', () => {
    for (const scenario of [
      {
        ...SOLD,
        replayingCustomers: 1,
        replayRequestsPerSecond: 1,
        liveCustomers: 0,
        liveRequestsPerSecond: 0,
      },
      { ...LIVE_ONLY, liveCustomers: 1, liveRequestsPerSecond: 0.1 },
    ])
      expect(() => readStackConfig(recommendSettings(defaults, scenario))).not.toThrow();
  });

  it('holds a throttled request for the core and one put only: concurrency is the rate × that', () => {
    expect(requestHoldMs(SOLD, false)).toBe(10.05);
    expect(requestHoldMs(SOLD, true)).toBe(110.05); // a partial throttle may retry for 100 ms

    // On-demand Kinesis starts at 4 MB/s: the Replay is throttled from the first second, and every
    // throttled request is answered at once — no 1-second hold × 5,000 requests/s.
    const plan = forecastReplay(defaults, { ...SOLD, liveCustomers: 0, liveRequestsPerSecond: 0 });
    expect(check(plan, 'kinesis-write-throughput').firstAt).toBe(0);
    expect(check(plan, 'kinesis-write-throughput').failsAfter200).toBe(false);
    const stage = Math.min(5_000, defaults.stageRateLimit);
    expect(plan.peakIngestConcurrency).toBeLessThanOrEqual(Math.ceil((stage * 110.05) / 1000) + 1);
    expect(check(plan, 'lambda-concurrency').firstAt).toBeNull();
  });

  it('keeps live customers whole while one customer replays far above its share on the default stack', () => {
    // One customer offers 3,000 requests/s; 150 live customers send as usual.
    const runaway: Scenario = {
      ...SOLD,
      replayingCustomers: 1,
      replayRequestsPerSecond: 3_000,
      liveCustomers: 149,
      liveRequestsPerSecond: (149 * 14) / 60,
    };

    const fair = forecastReplay(defaults, runaway);
    const unfair = forecastReplay(
      stackFromTemplate(synthesizeTemplate({ fairShareEventsPerSecond: '0' })),
      runaway,
    );

    expect(fair.liveSuccessPercent).toBeGreaterThanOrEqual(99.9);
    expect(fair.checks.filter((c) => c.firstAt !== null)).toEqual([]);
    // Without it the Replay alone throttles the fresh on-demand stream for everyone (503s, not silent).
    expect(unfair.liveSuccessPercent).toBeLessThan(99.9);
    expect(check(unfair, 'kinesis-write-throughput')).toMatchObject({ firstAt: 0, failsAfter200: false });
  });
});
