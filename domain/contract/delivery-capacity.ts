import { AWS_QUOTAS, QUOTA_HEADROOM } from './aws-quotas';
import { LAKE_AREAS, PARTITIONED_BY_CUSTOMER } from './lake-areas';

/**
 * How many Kinesis → Firehose pairs ("delivery shards") a stack needs for the customers it serves, from
 * Firehose's active-partition quota. One fact per line, each with its reason:
 */

/** Partitions per customer per receive day: its `events` partition (domain/contract/lake-areas.ts). */
const PER_CUSTOMER = LAKE_AREAS.filter((area) => PARTITIONED_BY_CUSTOMER[area]).length;
/** quarantine and ledger lines of every customer share one partition per day on every stream. */
export const SHARED_PARTITIONS = LAKE_AREAS.filter((area) => !PARTITIONED_BY_CUSTOMER[area]).length;
/**
 * For up to 1.5 buffer intervals after a UTC midnight a stream holds yesterday's and today's partitions
 * open together (records received at 23:59:59 still buffer), so every partition counts twice.
 */
export const MIDNIGHT_OVERLAP_DAYS = 2;
/**
 * Redrive puts records of earlier receive days back into the same streams, opening partitions of those
 * days: the sizing reserves this share of the quota, and redrive paces itself to it (distinct partitions
 * per 1.5 buffer intervals, scripts/redrive/partition-pacer.ts).
 */
const REDRIVE_PARTITION_SHARE = 0.05;
/**
 * Customers are placed on pairs by a hash of their id (`shardOf`), so one pair gets more than the mean:
 * the bound is the mean plus three standard deviations of the binomial count (exceeded with probability
 * ~0.13 % per pair for a uniform hash; test/domain/contract/delivery-capacity.test.ts checks it on real ids).
 */
const HASH_SIGMAS = 3;
/** Pairs a stack may have: Kinesis allows 50 on-demand streams per account by default. */
export const MAX_DELIVERY_SHARDS = AWS_QUOTAS.onDemandStreamsPerAccount;

/** Distinct partitions redrive may open per buffer window on one stream. */
export function redrivePartitions(activePartitionQuota: number): number {
  return Math.floor(activePartitionQuota * REDRIVE_PARTITION_SHARE);
}

/** The most customers one of `shards` pairs is expected to serve out of `customers` (see HASH_SIGMAS). */
export function customersOnBusiestShard(customers: number, shards: number): number {
  if (shards <= 1) return customers;
  const mean = customers / shards;
  return Math.min(customers, Math.ceil(mean + HASH_SIGMAS * Math.sqrt(mean * (1 - 1 / shards))));
}

/**
 * Active partitions of a stream serving `customersOnStream`, at its peak (midnight, redrive running).
 *
 * @internal
 */
export function peakActivePartitions(customersOnStream: number, activePartitionQuota: number): number {
  return (
    MIDNIGHT_OVERLAP_DAYS * (customersOnStream * PER_CUSTOMER + SHARED_PARTITIONS) +
    redrivePartitions(activePartitionQuota)
  );
}

/**
 * The partitions a stream may hold by design: 80 % of its quota.
 *
 * @internal
 */
export function partitionBudget(activePartitionQuota: number): number {
  return Math.floor(activePartitionQuota * QUOTA_HEADROOM);
}

export interface DeliveryCapacity {
  maxCustomers: number;
  activePartitionQuota: number;
  deliveryShards: number;
  /** Customers on the busiest pair, and its peak active partitions. */
  customersPerShard: number;
  peakPartitionsPerShard: number;
  /** The most customers these pairs serve within the budget. */
  customerCeiling: number;
}

/** The most customers `shards` pairs serve with every stream's peak within 80 % of its quota. */
export function customerCeiling(shards: number, activePartitionQuota: number): number {
  const budget = partitionBudget(activePartitionQuota);
  let low = 0;
  let high = Math.ceil(budget / MIDNIGHT_OVERLAP_DAYS) * shards;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const fits = peakActivePartitions(customersOnBusiestShard(mid, shards), activePartitionQuota) <= budget;
    if (fits) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * The fewest delivery shards that keep every stream's peak active partitions within 80 % of the quota,
 * or `undefined` when no number allowed (MAX_DELIVERY_SHARDS) can.
 *
 * @example deliveryCapacity(150, 500)?.deliveryShards // 1: 2 × (150 + 2) + 25 = 329 ≤ 400
 */
export function deliveryCapacity(
  maxCustomers: number,
  activePartitionQuota: number,
): DeliveryCapacity | undefined {
  for (let shards = 1; shards <= MAX_DELIVERY_SHARDS; shards++) {
    const customersPerShard = customersOnBusiestShard(maxCustomers, shards);
    const peak = peakActivePartitions(customersPerShard, activePartitionQuota);
    if (peak <= partitionBudget(activePartitionQuota))
      return {
        maxCustomers,
        activePartitionQuota,
        deliveryShards: shards,
        customersPerShard,
        peakPartitionsPerShard: peak,
        customerCeiling: customerCeiling(shards, activePartitionQuota),
      };
  }
  return undefined;
}
