import { shardOf } from '../../domain/contract/lake-areas';
import type { PackedRecord, PutOutcome, RecordSink } from '../../domain/core/common/ports';

/**
 * Several Kinesis → Firehose pairs as one sink: each record goes to its customer's shard (`shardOf`),
 * so every pair's active partitions are bounded by the customers it serves. The outcomes come back in
 * the order of the records, as one sink's would.
 */
export class ShardedSink implements RecordSink {
  readonly maxRecordBytes: number;

  constructor(private readonly shards: readonly RecordSink[]) {
    if (shards.length === 0) throw new RangeError('a sharded sink needs at least one shard');
    this.maxRecordBytes = Math.min(...shards.map((s) => s.maxRecordBytes));
  }

  async put(records: readonly PackedRecord[], signal?: AbortSignal): Promise<PutOutcome[]> {
    const byShard = new Map<number, number[]>();
    records.forEach((record, i) => {
      const shard = shardOf(record.customerId, this.shards.length);
      const indexes = byShard.get(shard) ?? [];
      indexes.push(i);
      byShard.set(shard, indexes);
    });
    const outcomes: PutOutcome[] = new Array(records.length);
    await Promise.all(
      [...byShard].map(async ([shard, indexes]) => {
        const answers = await this.shards[shard]!.put(
          indexes.map((i) => records[i]!),
          signal,
        );
        indexes.forEach((i, j) => {
          outcomes[i] = answers[j]!;
        });
      }),
    );
    return outcomes;
  }
}
