import { createHash } from 'node:crypto';
import { AWS_QUOTAS } from '../../../domain/contract/aws-quotas';
import {
  customersOnBusiestShard,
  deliveryCapacity,
  MAX_DELIVERY_SHARDS,
  partitionBudget,
  peakActivePartitions,
} from '../../../domain/contract/delivery-capacity';
import { LAKE_AREAS, landingPrefix, shardOf } from '../../../domain/contract/lake-areas';

/** Distinct landing prefixes per pair over two receive days (a UTC midnight), counted from the layout itself. */
function prefixesPerShard(customers: string[], shards: number): number[] {
  const streams = Array.from({ length: shards }, () => new Set<string>());
  for (const customer of customers)
    for (const area of LAKE_AREAS)
      for (const day of ['2031-12-31', '2032-01-01'])
        streams[shardOf(customer, shards)]!.add(landingPrefix(area, customer, day));
  return streams.map((s) => s.size);
}

describe('delivery capacity: how many Kinesis → Firehose pairs a number of customers needs', () => {
  it('counts a stream’s peak partitions as the landing layout makes them, plus the redrive reserve', () => {
    const customers = Array.from({ length: 150 }, (_, i) => `customer-${i}`);

    // Two days of each customer's events partition and of the shared quarantine and ledger ones.
    expect(prefixesPerShard(customers, 1)).toEqual([2 * (150 + 2)]);
    expect(peakActivePartitions(150, 500)).toBe(2 * (150 + 2) + 25);
  });

  it('bounds the busiest pair for real customer ids placed by shardOf', () => {
    // Hash-like ids (fixed, so the test cannot flake) and sequential ones, at the sizes the stack is sold for.
    const hashLike = (i: number) => createHash('sha256').update(`id-${i}`).digest('hex').slice(0, 20);
    for (const [count, shards] of [
      [2_000, 14],
      [2_200, 2],
      [400, 3],
      [20_000, 12],
    ] as const) {
      for (const ids of [
        Array.from({ length: count }, (_, i) => hashLike(i)),
        Array.from({ length: count }, (_, i) => `customer-${i}`),
      ]) {
        const busiest = Math.max(...prefixesPerShard(ids, shards));
        expect(busiest).toBeLessThanOrEqual(2 * (customersOnBusiestShard(count, shards) + 2));
      }
    }
  });

  it('picks the fewest pairs that keep every stream within 80 % of its quota', () => {
    for (const quota of [500, 1_000, AWS_QUOTAS.activePartitionsMax]) {
      for (const customers of [1, 150, 185, 186, 999, 2_000, 5_000]) {
        const capacity = deliveryCapacity(customers, quota);
        if (!capacity) continue;
        expect(capacity.peakPartitionsPerShard).toBeLessThanOrEqual(partitionBudget(quota));
        if (capacity.deliveryShards > 1) {
          const fewer = capacity.deliveryShards - 1;
          expect(peakActivePartitions(customersOnBusiestShard(customers, fewer), quota)).toBeGreaterThan(
            partitionBudget(quota),
          );
        }
      }
    }
  });

  it('says so when no number of pairs the account allows is enough', () => {
    const ceiling = deliveryCapacity(1, 500)!;
    expect(ceiling.customerCeiling).toBe(185);
    expect(deliveryCapacity(7_438, 500)?.deliveryShards).toBe(MAX_DELIVERY_SHARDS);
    expect(deliveryCapacity(7_439, 500)).toBeUndefined();
    expect(deliveryCapacity(87_440, 5_000)?.deliveryShards).toBe(MAX_DELIVERY_SHARDS);
    expect(deliveryCapacity(87_441, 5_000)).toBeUndefined();
  });
});
