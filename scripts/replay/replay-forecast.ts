import { AWS_QUOTAS, QUOTA_HEADROOM } from '../../domain/contract/aws-quotas';
import {
  customersOnBusiestShard,
  deliveryCapacity,
  MIDNIGHT_OVERLAP_DAYS,
  redrivePartitions,
  SHARED_PARTITIONS,
} from '../../domain/contract/delivery-capacity';
import { DEFAULT_RETRY_POLICY } from '../../domain/core/ingest/deliver';
import { fairShareSettings } from '../../domain/core/ingest/fair-share';
import type { StackUnderLoad } from './stack-twin';

/** What Segment sends, and what the code costs per request (measured by measure-ingest.ts). */
export interface Scenario {
  /** Customers whose history is replayed at the same time. */
  replayingCustomers: number;
  years: number;
  /** Events per day of history, per replaying customer. */
  eventsPerDay: number;
  /** Requests per second Segment offers for the whole Replay. */
  replayRequestsPerSecond: number;
  eventsPerRequest: number;
  /** Customers sending live traffic, apart from the replaying ones. */
  liveCustomers: number;
  /** Live requests per second, all live customers together (one event each). */
  liveRequestsPerSecond: number;
  eventBytes: number;
  /** UTC hour the scenario starts at: the first midnight overlap comes (24 − hour) h later. */
  startHour: number;
  /** The account's quotas (AWS_QUOTAS unless raised). */
  accountConcurrency: number;
  accountRequestsPerSecond: number;
  accountShards: number;
  /** Measured: the ingest core per request of `eventsPerRequest` events, and lake bytes per event byte. */
  coreMs: number;
  lineBytesPerEventByte: number;
  /** Assumed: one Kinesis/Firehose round trip (not measurable offline). */
  sinkMs: number;
}

export interface Check {
  name: string;
  /** What the scenario asks of the limit at its worst, in the limit's unit. */
  load: number;
  limit: number;
  percentOfLimit: number;
  /** Over the limit, records are lost *after* the 200 (they land in errors/, to be redriven). */
  failsAfter200: boolean;
  /** Seconds into the scenario when the load first exceeds the limit; null: never. */
  firstAt: number | null;
  /** What happens over the limit. */
  consequence: string;
}

export interface ReplayForecast {
  checks: Check[];
  /** Days until every replayed event is accepted; null when it never finishes (within a year). */
  replayDays: number | null;
  /** Share of live requests accepted while the Replay runs (its worst hour), in percent. */
  liveSuccessPercent: number;
  events: number;
  peakIngestConcurrency: number;
}

/**
 * How long a request holds a Lambda instance: the core plus one put. A put whose every record is
 * throttled is answered at once (deliver.ts), so a throttled request holds the same; a partial throttle
 * may add up to `throttleBudgetMs`.
 *
 * @internal
 */
export function requestHoldMs(s: Pick<Scenario, 'coreMs' | 'sinkMs'>, partiallyThrottled: boolean): number {
  return s.coreMs + s.sinkMs + (partiallyThrottled ? DEFAULT_RETRY_POLICY.throttleBudgetMs : 0);
}

/** Kinesis records per request: one packed events record and one ledger record. */
const RECORDS_PER_REQUEST = 2;
const STEP_SECONDS = 60;
const MAX_SECONDS = 365 * 86_400;
/** Live traffic when not given: ~14 events a minute per customer (the figure the partition review used). */
export const LIVE_EVENTS_PER_MINUTE = 14;

/**
 * A Replay (and live traffic) against a stack, minute by minute: what each limit sees, when it is first
 * exceeded, and which excess is silent (after a 200) rather than answered 429/503 for Segment to retry.
 */
export function forecastReplay(stack: StackUnderLoad, s: Scenario): ReplayForecast {
  const shards = stack.capacity.deliveryShards;
  const quota = stack.capacity.activePartitionQuota;
  const events = s.replayingCustomers * Math.round(s.years * 365) * s.eventsPerDay;
  const replayOffered = s.replayingCustomers > 0 && events > 0 ? s.replayRequestsPerSecond : 0;
  const offered = replayOffered + s.liveRequestsPerSecond;

  // Firehose partitions: every customer with traffic holds its partitions open on its pair.
  const active = s.replayingCustomers + s.liveCustomers;
  const onBusiest = customersOnBusiestShard(active, shards);
  const dayPartitions = onBusiest + SHARED_PARTITIONS + redrivePartitions(quota);
  const midnightPartitions =
    MIDNIGHT_OVERLAP_DAYS * (onBusiest + SHARED_PARTITIONS) + redrivePartitions(quota);
  const firstMidnight = ((24 - s.startHour) % 24 || 24) * 3600;

  // API Gateway: the account's and the stage's throttles answer 429 to a share of everyone.
  const gatewayShare = Math.min(1, s.accountRequestsPerSecond / offered, stack.stageRateLimit / offered) || 1;
  // Fair share: each replaying customer is held to F events/s across all instances, plus the allowance
  // each instance gives without a lookup (domain/core/ingest/fair-share.ts); the rest is answered 429.
  const replayAtFunction = replayOffered * gatewayShare;
  const instances = Math.max(
    1,
    ((replayAtFunction + s.liveRequestsPerSecond * gatewayShare) * requestHoldMs(s, false)) / 1000,
  );
  const fair = stack.fairShareEventsPerSecond ? fairShareSettings(stack.fairShareEventsPerSecond) : undefined;
  const fairCap = fair
    ? (s.replayingCustomers * (fair.eventsPerSecond + fair.allowancePerInstance * instances)) /
      s.eventsPerRequest
    : Number.POSITIVE_INFINITY;
  const replayPastFairShare = Math.min(replayAtFunction, fairCap);
  const liveAtFunction = s.liveRequestsPerSecond * gatewayShare;

  // Kinesis per stream: bytes and records of what passed the fair share, against capacity over time.
  const lineBytes = s.eventBytes * s.lineBytesPerEventByte;
  const perStream = (requests: number, eventsPerRequest: number) => ({
    mib: (requests * eventsPerRequest * lineBytes) / 2 ** 20 / shards,
    records: (requests * RECORDS_PER_REQUEST) / shards,
  });
  const provisioned = stack.streamShards;
  const capacityAt = (seconds: number, peakSeen: number) => {
    if (stack.delivery === 'direct')
      return { mib: AWS_QUOTAS.directPutMiBPerSecond, records: AWS_QUOTAS.directPutRequestsPerSecond };
    if (provisioned !== undefined)
      return {
        mib: provisioned * AWS_QUOTAS.shardMiBPerSecond,
        records: provisioned * AWS_QUOTAS.shardRecordsPerSecond,
      };
    // On-demand: doubles its previous peak every ~15 minutes while demand is above it.
    const doublings = Math.floor(seconds / (AWS_QUOTAS.onDemandDoublingMinutes * 60));
    const grown = Math.min(2 ** doublings, Math.max(1, peakSeen));
    return {
      mib: AWS_QUOTAS.onDemandStartMiBPerSecond * grown,
      records: AWS_QUOTAS.onDemandStartRecordsPerSecond * grown,
    };
  };

  const ingestLimit = s.accountConcurrency - stack.authorizerReservedConcurrency;
  const authorizerNeed = Math.ceil(((active / Math.max(1, stack.authorizerCacheTtlSeconds)) * 20) / 1000);
  let kinesisFirstAt: number | null = null;
  let kinesisWorst = 0;
  let lambdaFirstAt: number | null = null;
  let peakConcurrency = 0;
  let worstLiveShare = 1;
  let replayed = 0;
  let replayDone: number | null = events === 0 ? 0 : null;
  let demandMultiple = 1;
  for (let t = 0; t < MAX_SECONDS && (replayDone === null || t < 86_400); t += STEP_SECONDS) {
    const replaying = replayDone === null ? replayPastFairShare : 0;
    const want = perStream(replaying, s.eventsPerRequest);
    const live = perStream(liveAtFunction, 1);
    const demand = { mib: want.mib + live.mib, records: want.records + live.records };
    const cap = capacityAt(t, demandMultiple);
    const load = Math.max(demand.mib / cap.mib, demand.records / cap.records);
    if (stack.delivery === 'stream' && provisioned === undefined)
      demandMultiple = Math.max(
        demandMultiple,
        demand.mib / AWS_QUOTAS.onDemandStartMiBPerSecond,
        demand.records / AWS_QUOTAS.onDemandStartRecordsPerSecond,
      );
    if (t === 0) kinesisWorst = load;
    if (load > 1 && kinesisFirstAt === null) kinesisFirstAt = t;
    const acceptedShare = Math.min(1, 1 / load);
    // Concurrency: every request that reached the function holds it for the core and one put.
    const atFunction = replayAtFunction + liveAtFunction;
    const concurrency = Math.ceil(
      (atFunction * requestHoldMs(s, load > 1 && acceptedShare > 0.5)) / 1000 + authorizerNeed,
    );
    peakConcurrency = Math.max(peakConcurrency, concurrency);
    const lambdaShare = Math.min(1, ingestLimit / concurrency);
    if (concurrency > ingestLimit && lambdaFirstAt === null) lambdaFirstAt = t;
    if (replayDone === null || t === 0)
      worstLiveShare = Math.min(worstLiveShare, gatewayShare * acceptedShare * lambdaShare);
    if (replayDone === null) {
      replayed += replaying * s.eventsPerRequest * acceptedShare * lambdaShare * STEP_SECONDS;
      if (replayed >= events) replayDone = t + STEP_SECONDS;
    }
  }

  const check = (
    name: string,
    load: number,
    limit: number,
    failsAfter200: boolean,
    firstAt: number | null,
    consequence: string,
  ): Check => ({
    name,
    load: round(load),
    limit,
    percentOfLimit: round((100 * load) / limit),
    failsAfter200,
    firstAt: load > limit ? firstAt : null,
    consequence,
  });
  const streams = stack.delivery === 'stream' ? shards : 0;
  const checks = [
    check(
      'firehose-active-partitions',
      dayPartitions,
      quota,
      true,
      0,
      'records beyond the quota go to errors/activePartitionExceeded/ after the 200 (redrive them)',
    ),
    check(
      'firehose-active-partitions-at-midnight',
      midnightPartitions,
      quota,
      true,
      firstMidnight,
      'for ~1.5 buffer intervals after a UTC midnight both days are open: the excess goes to errors/ after the 200',
    ),
    check(
      stack.delivery === 'stream' ? 'kinesis-write-throughput' : 'firehose-direct-put-throughput',
      kinesisWorst * 100,
      100,
      false,
      kinesisFirstAt,
      'throttled puts are answered 503 + Retry-After at once; Segment resends',
    ),
    check(
      'kinesis-account-shards',
      provisioned === undefined ? 0 : provisioned * streams,
      s.accountShards,
      false,
      0,
      'the deploy fails: request a higher shard quota first',
    ),
    check(
      'kinesis-on-demand-streams',
      provisioned === undefined ? streams : 0,
      AWS_QUOTAS.onDemandStreamsPerAccount,
      false,
      0,
      'the deploy fails: request more on-demand streams first',
    ),
    check(
      'lambda-concurrency',
      peakConcurrency,
      ingestLimit,
      false,
      lambdaFirstAt,
      'Lambda throttles the ingest function: API Gateway answers 5xx to every customer (Segment retries for 4 h)',
    ),
    check(
      'api-gateway-stage-throttle',
      offered,
      stack.stageRateLimit,
      false,
      0,
      'API Gateway answers 429 to a share of every customer; Segment resends',
    ),
    check(
      'api-gateway-account-rps',
      offered,
      s.accountRequestsPerSecond,
      false,
      0,
      'API Gateway answers 429 for every API of the account',
    ),
  ];
  checks.sort(
    (a, b) =>
      (a.firstAt ?? Number.POSITIVE_INFINITY) - (b.firstAt ?? Number.POSITIVE_INFINITY) ||
      Number(b.failsAfter200) - Number(a.failsAfter200),
  );
  return {
    checks,
    replayDays: replayDone === null ? null : round(replayDone / 86_400),
    liveSuccessPercent: s.liveRequestsPerSecond > 0 ? round(100 * worstLiveShare, 3) : 100,
    events,
    peakIngestConcurrency: peakConcurrency,
  };
}

/** Settings (`-c key=value`) that keep every check of the scenario within its limit, as synth takes them. */
export function recommendSettings(stack: StackUnderLoad, s: Scenario): Record<string, string> {
  const customers = s.replayingCustomers + s.liveCustomers;
  const maxCustomers = Math.max(stack.capacity.maxCustomers, customers);
  // The quota as it is while a few pairs suffice; else the most Firehose grants (a quota request).
  const atQuota = deliveryCapacity(maxCustomers, stack.capacity.activePartitionQuota);
  const quota =
    atQuota && atQuota.deliveryShards <= 4
      ? stack.capacity.activePartitionQuota
      : AWS_QUOTAS.activePartitionsMax;
  const shards = deliveryCapacity(maxCustomers, quota)?.deliveryShards ?? 1;
  const offered = (s.replayingCustomers > 0 ? s.replayRequestsPerSecond : 0) + s.liveRequestsPerSecond;
  const lineBytes = s.eventBytes * s.lineBytesPerEventByte;
  const mib =
    ((s.replayingCustomers > 0 ? s.replayRequestsPerSecond * s.eventsPerRequest : 0) +
      s.liveRequestsPerSecond) *
    (lineBytes / 2 ** 20);
  const records = offered * RECORDS_PER_REQUEST;
  // Provisioned shards per stream: the Replay's throughput from the first second, no on-demand warm-up.
  const streamShards = Math.max(
    1,
    Math.ceil(
      Math.max(mib / AWS_QUOTAS.shardMiBPerSecond, records / AWS_QUOTAS.shardRecordsPerSecond) /
        shards /
        QUOTA_HEADROOM,
    ),
  );
  const throttle = Math.max(
    stack.stageRateLimit,
    Math.min(AWS_QUOTAS.apiGatewayAccountRps, Math.ceil(offered / QUOTA_HEADROOM / 100) * 100),
  );
  const settings: Record<string, string> = {
    maxCustomers: String(maxCustomers),
    activePartitionQuota: String(quota),
    throttleRateLimit: String(throttle),
    throttleBurstLimit: String(Math.max(stack.stageBurstLimit, throttle)),
  };
  if (stack.delivery === 'stream' && s.replayingCustomers > 0) settings.streamShards = String(streamShards);
  // The fair share must leave each replaying customer its own Replay rate, with the same headroom.
  if (s.replayingCustomers > 0 && stack.fairShareEventsPerSecond) {
    const perCustomer = (s.replayRequestsPerSecond * s.eventsPerRequest) / s.replayingCustomers;
    const needed = Math.ceil(perCustomer / QUOTA_HEADROOM);
    if (needed > stack.fairShareEventsPerSecond) settings.fairShareEventsPerSecond = String(needed);
  }
  return settings;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
