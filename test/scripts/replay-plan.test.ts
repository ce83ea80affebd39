import {
  partitionsPerStream,
  planReplay,
  type ReplayInput,
  withRecommended,
} from '../../scripts/replay/replay-plan';

const deployed: Omit<ReplayInput, 'replayingCustomers' | 'years' | 'eventsPerDay' | 'requestsPerSecond'> = {
  eventsPerRequest: 1,
  liveCustomers: 0,
  liveRequestsPerSecond: 0,
  eventBytes: 1_300,
  ingestMs: 30,
  authorizerCacheTtlSeconds: 300,
  authorizerMs: 10,
  deliveryShards: 1,
  streamShards: 0,
  activePartitionQuota: 500,
  accountConcurrency: 1_000,
  stageRateLimit: 5_000,
};

describe('replay-sim: the plan’s arithmetic, on hand-computed cases', () => {
  it('counts partitions from the landing layout: two days of each customer’s events, plus shared quarantine and ledger', () => {
    // 3 customers × 2 days + quarantine (2 days) + ledger (2 days).
    expect(partitionsPerStream(3, 1)).toEqual([10]);
    const split = partitionsPerStream(200, 2);
    expect(split.reduce((a, b) => a + b, 0)).toBe(200 * 2 + 2 * 4); // each stream has its own shared ones
  });

  it('200 customers × 5 years × 20,000 events/day at 5,000 requests/s', () => {
    const plan = planReplay({
      ...deployed,
      replayingCustomers: 200,
      years: 5,
      eventsPerDay: 20_000,
      requestsPerSecond: 5_000,
    });

    expect(plan.events).toBe(200 * 1_825 * 20_000); // 7.3 billion
    expect(plan.durationHours).toBeCloseTo(7.3e9 / 5_000 / 3_600, 6); // ~405.6 h
    expect(plan.recordsPerSecond).toBe(10_000); // an events record and a ledger record per request
    expect(plan.mibPerSecond).toBeCloseTo((5_000 * 1_300) / 2 ** 20, 6);
    expect(plan.peakPartitionsPerStream).toBe(404);
    expect(plan.ingestConcurrency).toBe(150); // 5,000/s × 30 ms
    expect(plan.lambdaRampSeconds).toBe(10); // within the first 1,000-per-10-s step
    expect(plan.authorizerConcurrency).toBe(1); // 200 keys per 300 s × 10 ms, rounded up
    // On-demand starts at 4,000 records/s: 2.5× short, two doublings of ~15 min.
    expect(plan.onDemandWarmUpMinutes).toBe(30);
    expect(plan.breaksFirst?.what).toMatch(/^Kinesis writes/);

    const r = plan.recommended;
    expect(r).toMatchObject({
      deliveryShards: 2, // 404 > 80 % of 500 on one stream
      activePartitionQuota: 500,
      streamShards: 7, // 10,000 records/s ÷ 2 streams ÷ 1,000 per shard ÷ 0.8
      throttleRateLimit: 6_300, // 5,000 ÷ 0.8, to the 100
      accountConcurrency: 1_000,
      perCustomerRequestsPerSecond: 25,
      fairShareEventsPerSecond: 50,
    });
    const after = withRecommended(plan);
    expect(after.breaksFirst).toBeUndefined();
    expect(after.checks[0]!.load).toBeLessThan(0.8); // partitions under 80 % on every stream
    expect(after.onDemandWarmUpMinutes).toBe(0); // provisioned: no throttling while capacity grows
  });

  it('2,000 live customers and no Replay: the raised partition quota and two streams', () => {
    const plan = planReplay({
      ...deployed,
      replayingCustomers: 0,
      years: 0,
      eventsPerDay: 0,
      requestsPerSecond: 5_000, // ignored: nobody replays
      liveCustomers: 2_000,
      liveRequestsPerSecond: 4_000,
    });

    expect(plan.recordsPerSecond).toBe(8_000);
    expect(plan.peakPartitionsPerStream).toBe(4_004);
    expect(plan.breaksFirst?.what).toMatch(/^Firehose active partitions/);
    expect(plan.recommended).toMatchObject({
      activePartitionQuota: 5_000,
      deliveryShards: 2,
      streamShards: 5,
    });
    const after = withRecommended(plan);
    expect(after.breaksFirst).toBeUndefined();
    expect(after.peakPartitionsPerStream).toBeLessThan(5_000 * 0.8);
  });

  it('names Lambda concurrency when it is the limit, and asks for a quota that leaves 100 unreserved', () => {
    const plan = planReplay({
      ...deployed,
      replayingCustomers: 10,
      years: 1,
      eventsPerDay: 1_000,
      requestsPerSecond: 4_000,
      ingestMs: 400, // a slow function: 1,600 concurrent
      stageRateLimit: 10_000,
      streamShards: 20,
    });

    expect(plan.ingestConcurrency).toBe(1_600);
    expect(plan.lambdaRampSeconds).toBe(20);
    expect(plan.breaksFirst?.what).toMatch(/^Lambda concurrency/);
    // (1,601 ÷ 0.8 + 100), rounded up to the thousand.
    expect(plan.recommended.accountConcurrency).toBe(3_000);
    expect(withRecommended(plan).breaksFirst).toBeUndefined();
  });
});
