import { LAKE_AREAS, landingPrefix, shardOf } from '../../lambdas/contract/lake-areas';

/**
 * The quotas a Replay runs into, with their sources (AWS service quotas and developer guides, late 2026).
 * Each is an input of the plan so a raised quota can be planned with.
 */
export const QUOTAS = {
  /** Firehose dynamic partitioning: active partitions per delivery stream, default and most on request. */
  activePartitionsDefault: 500,
  activePartitionsMax: 5_000,
  /** Kinesis on-demand: a new stream takes 4 MiB/s and 4,000 records/s of writes… */
  onDemandStartMiBPerSecond: 4,
  onDemandStartRecordsPerSecond: 4_000,
  /** …and scales to double its previous peak, which takes up to ~15 minutes per doubling. */
  onDemandDoublingMinutes: 15,
  /** Kinesis provisioned: writes per shard. */
  shardMiBPerSecond: 1,
  shardRecordsPerSecond: 1_000,
  /** Lambda: concurrency per account and region (default), and how fast one function scales. */
  accountConcurrency: 1_000,
  scalingPer10Seconds: 1_000,
  /** Lambda keeps this much of the account's concurrency unreserved. */
  unreservedMinimum: 100,
  /** API Gateway: requests per second per account and region (HTTP APIs). */
  apiGatewayAccountRps: 10_000,
} as const;

/** How much of a quota the plan lets a Replay use: 80 %, the alarms' default too. */
export const HEADROOM = 0.8;

export interface ReplayInput {
  /** Customers whose history is replayed at the same time. */
  replayingCustomers: number;
  years: number;
  /** Events per day of history, per replaying customer. */
  eventsPerDay: number;
  /** Requests per second Segment sends for the whole Replay (all replaying customers together). */
  requestsPerSecond: number;
  /** Events per request: 1 for Segment's direct destinations, more for batching senders. */
  eventsPerRequest: number;
  /** Customers sending live traffic meanwhile (the replaying ones included, if they also send live). */
  liveCustomers: number;
  /** Live requests per second, all live customers together. */
  liveRequestsPerSecond: number;
  eventBytes: number;
  /** How long the ingest function takes per request (ms): its concurrency is rate × this. */
  ingestMs: number;
  /** The authorizer's verdict cache (s): it is called once per key per TTL. */
  authorizerCacheTtlSeconds: number;
  authorizerMs: number;
  /** The deployment as it is: delivery shards, provisioned Kinesis shards per pair (0: on-demand), quotas. */
  deliveryShards: number;
  streamShards: number;
  activePartitionQuota: number;
  accountConcurrency: number;
  stageRateLimit: number;
}

export interface Check {
  what: string;
  need: number;
  limit: number;
  unit: string;
  /** need / limit */
  load: number;
  /** What it costs when `need` exceeds `limit`. */
  consequence: string;
}

export interface ReplayPlan {
  input: ReplayInput;
  events: number;
  durationHours: number;
  eventsPerSecond: number;
  mibPerSecond: number;
  /** Kinesis records per second: one packed events record and one ledger record per request. */
  recordsPerSecond: number;
  /** Most active partitions on any delivery stream, counting the midnight overlap. */
  peakPartitionsPerStream: number;
  ingestConcurrency: number;
  authorizerConcurrency: number;
  /** Seconds for Lambda to scale to that concurrency (1,000 more per 10 s per function). */
  lambdaRampSeconds: number;
  /** Minutes for an on-demand stream to grow from its start capacity to what the Replay needs (0: provisioned or enough). */
  onDemandWarmUpMinutes: number;
  checks: Check[];
  /** The first check over its limit, if any. */
  breaksFirst: Check | undefined;
  recommended: Recommended;
}

export interface Recommended {
  deliveryShards: number;
  activePartitionQuota: number;
  streamShards: number;
  accountConcurrency: number;
  throttleRateLimit: number;
  /** Requests per second to give Segment as each replaying customer's Replay rate limit. */
  perCustomerRequestsPerSecond: number;
  /** fairShareEventsPerSecond: twice a replaying customer's own rate, per ingest instance. */
  fairShareEventsPerSecond: number;
}

/**
 * Active partitions of each delivery stream within one buffer window, counted from the layout itself:
 * every prefix the customers' lines land under (`landingPrefix`), on the stream their shard decides
 * (`shardOf`). Around a UTC midnight a stream holds yesterday's and today's partitions open together
 * (for up to ~1.5 buffer intervals), so both days count. Customer ids are `customer-<n>`.
 */
export function partitionsPerStream(customers: number, deliveryShards: number): number[] {
  const streams = Array.from({ length: deliveryShards }, () => new Set<string>());
  for (let n = 0; n < customers; n++) {
    const customer = `customer-${n}`;
    const stream = streams[shardOf(customer, deliveryShards)]!;
    for (const area of LAKE_AREAS)
      for (const day of ['2026-11-28', '2026-11-29']) stream.add(landingPrefix(area, customer, day));
  }
  return streams.map((s) => s.size);
}

/** A Replay against a deployment: what it needs, what breaks first, and the settings that avoid it. */
export function planReplay(input: ReplayInput): ReplayPlan {
  const events = input.replayingCustomers * Math.round(input.years * 365) * input.eventsPerDay;
  // No replaying customer, no Replay traffic, whatever the rate says.
  const replayRequestsPerSecond = input.replayingCustomers > 0 ? input.requestsPerSecond : 0;
  const replayEventsPerSecond = replayRequestsPerSecond * input.eventsPerRequest;
  const requestsPerSecond = replayRequestsPerSecond + input.liveRequestsPerSecond;
  const eventsPerSecond = replayEventsPerSecond + input.liveRequestsPerSecond; // live: one event a request
  const mibPerSecond = (eventsPerSecond * input.eventBytes) / 2 ** 20;
  const recordsPerSecond = requestsPerSecond * 2;
  // Every customer with traffic holds its partitions open: the replaying ones and the live ones.
  const customers = Math.max(input.replayingCustomers, input.liveCustomers);
  const peakPartitionsPerStream = Math.max(...partitionsPerStream(customers, input.deliveryShards));
  const ingestConcurrency = Math.ceil((requestsPerSecond * input.ingestMs) / 1000);
  const keysPerSecond = customers / input.authorizerCacheTtlSeconds;
  const authorizerConcurrency = Math.ceil((keysPerSecond * input.authorizerMs) / 1000);
  const perStreamMiB = mibPerSecond / input.deliveryShards;
  const perStreamRecords = recordsPerSecond / input.deliveryShards;
  const streamCapacity =
    input.streamShards > 0
      ? {
          mib: input.streamShards * QUOTAS.shardMiBPerSecond,
          records: input.streamShards * QUOTAS.shardRecordsPerSecond,
        }
      : { mib: QUOTAS.onDemandStartMiBPerSecond, records: QUOTAS.onDemandStartRecordsPerSecond };
  const kinesisLoad = Math.max(perStreamMiB / streamCapacity.mib, perStreamRecords / streamCapacity.records);
  const onDemandWarmUpMinutes =
    input.streamShards === 0 && kinesisLoad > 1
      ? Math.ceil(Math.log2(kinesisLoad)) * QUOTAS.onDemandDoublingMinutes
      : 0;
  const usableConcurrency = input.accountConcurrency;
  const check = (what: string, need: number, limit: number, unit: string, consequence: string): Check => ({
    what,
    need,
    limit,
    unit,
    load: need / limit,
    consequence,
  });
  const checks: Check[] = [
    check(
      'Firehose active partitions (per delivery stream)',
      peakPartitionsPerStream,
      input.activePartitionQuota,
      'partitions',
      'records over the quota go to errors/activePartitionExceeded/ after the 200 (redrive them)',
    ),
    check(
      `Kinesis writes (per stream, ${input.streamShards > 0 ? `${input.streamShards} provisioned shards` : 'on-demand at its start capacity'})`,
      Math.max(perStreamMiB / streamCapacity.mib, perStreamRecords / streamCapacity.records) * 100,
      100,
      '% of capacity',
      'throttled requests are answered 503 with Retry-After within ~1 s and Segment resends',
    ),
    check(
      'Lambda concurrency (ingest + authorizer)',
      ingestConcurrency + authorizerConcurrency,
      usableConcurrency,
      'concurrent invocations',
      'Lambda throttles: API Gateway answers 5xx for every customer',
    ),
    check(
      'API Gateway stage throttle',
      requestsPerSecond,
      input.stageRateLimit,
      'requests/s',
      'API Gateway answers 429 and Segment resends',
    ),
    check(
      'API Gateway account limit',
      requestsPerSecond,
      QUOTAS.apiGatewayAccountRps,
      'requests/s',
      'API Gateway answers 429 for every API of the account',
    ),
  ];
  const over = checks.filter((c) => c.load > 1).sort((a, b) => b.load - a.load);
  return {
    input,
    events,
    durationHours: replayEventsPerSecond > 0 ? events / replayEventsPerSecond / 3600 : 0,
    eventsPerSecond,
    mibPerSecond,
    recordsPerSecond,
    peakPartitionsPerStream,
    ingestConcurrency,
    authorizerConcurrency,
    lambdaRampSeconds: Math.ceil(ingestConcurrency / QUOTAS.scalingPer10Seconds) * 10,
    onDemandWarmUpMinutes,
    checks,
    breaksFirst: over[0],
    recommended: recommend(input, {
      customers,
      requestsPerSecond,
      mibPerSecond,
      recordsPerSecond,
      ingestConcurrency,
      authorizerConcurrency,
    }),
  };
}

function recommend(
  input: ReplayInput,
  need: {
    customers: number;
    requestsPerSecond: number;
    mibPerSecond: number;
    recordsPerSecond: number;
    ingestConcurrency: number;
    authorizerConcurrency: number;
  },
): Recommended {
  // Partitions: the default quota if enough streams keep each under 80 % of it with a few streams,
  // else the raised quota (5,000, on request) and as many streams as keep each under 80 % of that.
  const shardsFor = (quota: number) => {
    let shards = 1;
    while (shards <= 50 && Math.max(...partitionsPerStream(need.customers, shards)) > quota * HEADROOM)
      shards += 1;
    return shards;
  };
  const atDefault = shardsFor(QUOTAS.activePartitionsDefault);
  const [activePartitionQuota, deliveryShards] =
    atDefault <= 4
      ? [QUOTAS.activePartitionsDefault, atDefault]
      : [QUOTAS.activePartitionsMax, shardsFor(QUOTAS.activePartitionsMax)];
  // Provisioned shards per stream from the first second: no on-demand warm-up, so no throttling.
  const streamShards = Math.max(
    1,
    Math.ceil(
      Math.max(
        need.mibPerSecond / QUOTAS.shardMiBPerSecond,
        need.recordsPerSecond / QUOTAS.shardRecordsPerSecond,
      ) /
        deliveryShards /
        HEADROOM,
    ),
  );
  const concurrency = need.ingestConcurrency + need.authorizerConcurrency;
  const accountConcurrency = Math.max(
    input.accountConcurrency,
    Math.ceil((concurrency / HEADROOM + QUOTAS.unreservedMinimum) / 1000) * 1000,
  );
  const throttleRateLimit = Math.min(
    QUOTAS.apiGatewayAccountRps,
    Math.ceil(need.requestsPerSecond / HEADROOM / 100) * 100,
  );
  const perCustomerRequestsPerSecond =
    input.replayingCustomers > 0 ? Math.floor(input.requestsPerSecond / input.replayingCustomers) : 0;
  // Twice the customer's own Replay rate in events, per ingest instance: a customer sending at the rate it
  // was given never meets it, one sending far above it (a misconfigured Replay) is answered 429.
  const fairShareEventsPerSecond = Math.max(1, 2 * perCustomerRequestsPerSecond * input.eventsPerRequest);
  return {
    deliveryShards,
    activePartitionQuota,
    streamShards,
    accountConcurrency,
    throttleRateLimit,
    perCustomerRequestsPerSecond,
    fairShareEventsPerSecond,
  };
}

/** The plan again, with the recommended settings applied: what a runbook checks before the Replay. */
export function withRecommended(plan: ReplayPlan): ReplayPlan {
  const r = plan.recommended;
  return planReplay({
    ...plan.input,
    deliveryShards: r.deliveryShards,
    activePartitionQuota: r.activePartitionQuota,
    streamShards: r.streamShards,
    accountConcurrency: r.accountConcurrency,
    stageRateLimit: r.throttleRateLimit,
  });
}
