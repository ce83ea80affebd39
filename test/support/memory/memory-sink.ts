import type { PackedRecord, PutOutcome, RecordSink } from '../../../domain/core/common/ports';
import { FIREHOSE_MAX_RECORD_BYTES } from '../../../domain/core/lake/pack-records';

/** Decides a record's fate on one attempt; `undefined` means acknowledged. For fault injection. */
export type FailureRule = (record: PackedRecord, attempt: number) => PutOutcome | undefined;

/**
 * A sink that keeps acknowledged records in memory. `attempts` counts how often each record was sent,
 * so tests can prove that only failed records are retried.
 */
export class MemorySink implements RecordSink {
  readonly acknowledged: PackedRecord[] = [];
  readonly sent: PackedRecord[] = [];
  private readonly attempts = new Map<PackedRecord, number>();

  constructor(
    readonly maxRecordBytes = FIREHOSE_MAX_RECORD_BYTES,
    private readonly failure: FailureRule = () => undefined,
  ) {}

  async put(records: readonly PackedRecord[]): Promise<PutOutcome[]> {
    return records.map((record) => {
      const attempt = (this.attempts.get(record) ?? 0) + 1;
      this.attempts.set(record, attempt);
      this.sent.push(record);
      const outcome = this.failure(record, attempt);
      if (outcome && !outcome.ok) return outcome;
      this.acknowledged.push(record);
      return { ok: true };
    });
  }

  /** Every acknowledged line of one area, parsed. */
  lines(area: PackedRecord['area']): Record<string, unknown>[] {
    return this.acknowledged
      .filter((r) => r.area === area)
      .flatMap((r) => r.data.toString('utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
