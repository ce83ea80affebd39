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

/** Lines of one partition travelling together: `data` is UTF-8 JSON lines, each ending in `\n`. */
export interface PackedRecord {
  area: LakeArea;
  customerId: string;
  dt: string;
  partitionKey: string;
  /**
   * The lines as the bytes every sink sends or writes (Kinesis and Firehose `Data`, a spool record):
   * encoded once, here, and never again on the way out.
   */
  data: Buffer;
  /** `data.length`. */
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
  const done: PackedRecord[] = [];
  // One line (a request's ledger line, a single message) is one group: no grouping to do.
  if (lines.length === 1) {
    packGroup(lines, maxBytes, done);
    return done;
  }
  const groups = new Map<string, LakeLine[]>();
  for (const line of lines) {
    const group = `${line.area}\u0000${line.customerId}\u0000${line.dt}`;
    const members = groups.get(group);
    if (members) members.push(line);
    else groups.set(group, [line]);
  }
  for (const members of groups.values()) packGroup(members, maxBytes, done);
  return done;
}

/**
 * One partition's lines into records. Each line is encoded once, straight into the scratch buffer: the
 * encoding gives its exact size, so no separate byte count or joined string is made (together they cost
 * more than the encoding; docs/performance.md). A full record is copied out at its exact size.
 */
function packGroup(lines: readonly LakeLine[], maxBytes: number, done: PackedRecord[]): void {
  let first = lines[0]!;
  let bytes = 0;
  let count = 0;
  for (const line of lines) {
    let end = appendLine(bytes, line.json);
    if (count > 0 && (end > maxBytes || count === MAX_LINES_PER_RECORD)) {
      done.push(record(first, bytes, count));
      scratch.copy(scratch, 0, bytes, end);
      end -= bytes;
      first = line;
      count = 0;
    }
    bytes = end;
    count += 1;
  }
  done.push(record(first, bytes, count));
}

function record(first: LakeLine, bytes: number, count: number): PackedRecord {
  return {
    area: first.area,
    customerId: first.customerId,
    dt: first.dt,
    partitionKey: `${first.customerId}/${first.spreadKey}`.slice(0, MAX_PARTITION_KEY_CHARS),
    data: Buffer.from(scratch.subarray(0, bytes)),
    bytes,
    count,
  };
}

// The one working buffer every record is encoded in before it is copied out. packRecords runs to the end
// without yielding, so no two calls share it at once; it grows to the largest record seen (1,000 KiB
// and a line at most) and stays.
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Writes the line and its newline at `at`; returns where they end. */
function appendLine(at: number, json: string): number {
  // Room for the line if it is ASCII (most are). `write` stops before a character that does not fit, so
  // fewer than 4 bytes left after it (the longest UTF-8 character) may mean a cut: grow and rewrite.
  if (scratch.length < at + json.length + 1) grow(at + json.length + 1);
  let end = at + scratch.write(json, at);
  while (scratch.length - end < MAX_UTF8_CHAR_BYTES) {
    grow(scratch.length + json.length * 3);
    end = at + scratch.write(json, at);
  }
  scratch[end] = NEWLINE;
  return end + 1;
}

function grow(needed: number): void {
  const larger = Buffer.allocUnsafe(Math.max(needed, scratch.length * 2));
  scratch.copy(larger);
  scratch = larger;
}

const MAX_UTF8_CHAR_BYTES = 4;
const NEWLINE = 0x0a;
