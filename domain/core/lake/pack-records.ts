import type { LakeArea } from '../../contract/lake-areas';

/** One serialized lake line and where it belongs. */
export interface LakeLine {
  area: LakeArea;
  customerId: string;
  /** The line's landing partition date: the date the request was received. */
  dt: string;
  /** Spreads records over Kinesis shards: a message id, not the customer (see `packRecords`). */
  spreadKey: string;
  json: string;
}

/** Lines of one partition travelling together: `data` is JSON lines, each ending in `\n`. */
export interface PackedRecord {
  area: LakeArea;
  customerId: string;
  dt: string;
  partitionKey: string;
  data: string;
  bytes: number;
  count: number;
}

// Kinesis partition keys are at most 256 Unicode characters.
const MAX_PARTITION_KEY_CHARS = 256;

/**
 * Firehose de-aggregates at most 500 JSON sub-records per record: "If you include more than 500 records,
 * the request succeeds but the record de-aggregation doesn't work as expected" (Firehose PutRecord API
 * reference, and the dynamic partitioning guide). A record closes at 500 lines, whatever its size.
 */
export const MAX_LINES_PER_RECORD = 500;

/** Firehose's record limit: 1,000 KiB, before base64. It applies to what Firehose reads from Kinesis too. */
export const FIREHOSE_MAX_RECORD_BYTES = 1_000 * 1024;

/**
 * Packs lines into records, one partition per record, each at most `maxRecordBytes` (never more than
 * Firehose's 1,000 KiB) and at most 500 lines. Firehose bills
 * each record rounded up to 5 KB, so a 100-event request becomes a few records instead of 100, and
 * Firehose's JSON de-aggregation splits them again before partitioning.
 * The partition key is the customer plus the record's first message id, so one busy customer's
 * records spread over every shard instead of pinning one.
 *
 * @example packRecords(lines, FIREHOSE_MAX_RECORD_BYTES).length // 1 when all lines share customer and dt
 */
export function packRecords(lines: readonly LakeLine[], maxRecordBytes: number): PackedRecord[] {
  const maxBytes = Math.min(maxRecordBytes, FIREHOSE_MAX_RECORD_BYTES);
  const open = new Map<string, PackedRecord & { parts: string[] }>();
  const done: PackedRecord[] = [];
  const close = (record: PackedRecord & { parts: string[] }) => {
    const { parts, ...rest } = record;
    done.push({ ...rest, data: parts.join('') });
  };
  for (const line of lines) {
    const text = `${line.json}\n`;
    const bytes = Buffer.byteLength(text);
    const group = `${line.area}\u0000${line.customerId}\u0000${line.dt}`;
    let current = open.get(group);
    if (current && (current.bytes + bytes > maxBytes || current.count === MAX_LINES_PER_RECORD)) {
      close(current);
      current = undefined;
    }
    if (!current) {
      const partitionKey = `${line.customerId}/${line.spreadKey}`.slice(0, MAX_PARTITION_KEY_CHARS);
      current = {
        area: line.area,
        customerId: line.customerId,
        dt: line.dt,
        partitionKey,
        data: '',
        bytes: 0,
        count: 0,
        parts: [],
      };
      open.set(group, current);
    }
    current.parts.push(text);
    current.bytes += bytes;
    current.count += 1;
  }
  for (const record of open.values()) close(record);
  return done;
}
