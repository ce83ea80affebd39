import { ShardedSink } from '../../../adapters/aws/sharded-sink';
import { shardOf } from '../../../domain/contract/lake-areas';
import { type LakeLine, packRecords } from '../../../domain/core/lake/pack-records';
import { MemorySink } from '../../support/memory/memory-sink';

const line = (customerId: string, n: number): LakeLine => ({
  area: 'events',
  customerId,
  dt: '2026-01-01',
  spreadKey: `m-${n}`,
  json: JSON.stringify({ n }),
});

describe('delivery shards', () => {
  it('places a customer on one shard, always the same, and spreads customers over every shard', () => {
    const customers = Array.from({ length: 200 }, (_, i) => `customer-${i}`);
    const placed = customers.map((c) => shardOf(c, 4));

    expect(customers.map((c) => shardOf(c, 4))).toEqual(placed); // stable
    expect(new Set(placed)).toEqual(new Set([0, 1, 2, 3]));
    expect(Math.min(...[0, 1, 2, 3].map((s) => placed.filter((p) => p === s).length))).toBeGreaterThan(30);
    expect(shardOf('anyone', 1)).toBe(0);
  });

  it('sends each record to its customer’s shard and answers in the records’ order', async () => {
    const shards = [new MemorySink(), new MemorySink(), new MemorySink()];
    // Shard 1 refuses everything: its customers' outcomes must come back refused, in place.
    const refusing = new MemorySink(1_000 * 1024, () => ({ ok: false, retryable: true, code: 'Throttled' }));
    const sink = new ShardedSink([shards[0]!, refusing, shards[2]!]);
    const records = packRecords(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((c, i) => line(c, i)),
      sink.maxRecordBytes,
    );

    const outcomes = await sink.put(records);

    records.forEach((record, i) => {
      const shard = shardOf(record.customerId, 3);
      expect([record.customerId, outcomes[i]!.ok]).toEqual([record.customerId, shard !== 1]);
      if (shard !== 1) expect(shards[shard]!.acknowledged).toContain(record);
    });
  });
});
