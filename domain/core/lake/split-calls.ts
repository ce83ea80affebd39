import type { PackedRecord } from '../common/ports';

export interface CallLimits {
  /** Records per call: 500 for both Kinesis PutRecords and Firehose PutRecordBatch. */
  maxRecords: number;
  /** Bytes per call: 5 MiB for PutRecords (data + partition keys), 4 MiB for PutRecordBatch. */
  maxBytes: number;
  /** Whether the partition key counts toward the byte limits (Kinesis: yes; Firehose: no key). */
  countPartitionKey: boolean;
}

/**
 * Splits records into groups that each fit one API call, keeping each record's index so per-record
 * outcomes can be mapped back.
 *
 * @example splitIntoCalls(records, { maxRecords: 500, maxBytes: 5 * 1024 * 1024, countPartitionKey: true })
 */
export function splitIntoCalls(records: readonly PackedRecord[], limits: CallLimits): number[][] {
  const calls: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  records.forEach((record, index) => {
    const size = record.bytes + (limits.countPartitionKey ? Buffer.byteLength(record.partitionKey) : 0);
    if (current.length > 0 && (current.length === limits.maxRecords || bytes + size > limits.maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) calls.push(current);
  return calls;
}
