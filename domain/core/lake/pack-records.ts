import type { LakeArea } from '../../contract/lake-areas';
import type { PackedRecord } from '../common/ports';

/** One serialized lake line and where it belongs. */
export interface LakeLine {
  area: LakeArea;
  customerId: string;
  /** The line's landing partition date: the date the request was received. */
  dt: string;
  /** Spreads records over Kinesis shards: a message id, not the customer (see `packRecords`). */
  spreadKey: string;
  /** The line's JSON; for an event line, only its head (`{…,"message":`): see `message`. */
  json: string;
  /**
   * An event line's message JSON, often the request's own text (prepare-messages.ts). The line is
   * `json`, then this, then `}`. Kept apart from `json` because a joined string is a rope of the two,
   * which `write` first copies whole into one flat string (the message once more) before encoding it.
   */
  message?: string;
}

// Kinesis partition keys are at most 256 Unicode characters.
const MAX_PARTITION_KEY_CHARS = 256;

/**
 * Firehose de-aggregates at most 500 JSON sub-records per record: "If you include more than 500 records,
 * the request succeeds but the record de-aggregation doesn't work as expected" (Firehose PutRecord API
 * reference, and the dynamic partitioning guide). A record closes at 500 lines, whatever its size.
 *
 * @internal
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
 * One partition's lines into records. Each line is encoded once, straight into the slab: the encoding
 * gives its exact size, so no separate byte count or joined string is made (together they cost more than
 * the encoding; docs/performance.md). A record is the slab's bytes from its first line to its last.
 */
function packGroup(lines: readonly LakeLine[], maxBytes: number, done: PackedRecord[]): void {
  let first = lines[0]!;
  let start = used;
  let end = used;
  let count = 0;
  for (const line of lines) {
    const room = mostBytes(line);
    if (slab.length - end < room) {
      // A fresh slab, with room for the record begun here to go on growing (twice what it needs, so a
      // record of many lines moves a few times, not once per line); the record's lines so far move along.
      const fresh = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, 2 * (end - start + room)));
      slab.copy(fresh, 0, start, end);
      slab = fresh;
      end -= start;
      start = 0;
    }
    const lineEnd = appendLine(end, line);
    if (count > 0 && (lineEnd - start > maxBytes || count === MAX_LINES_PER_RECORD)) {
      done.push(record(first, start, end, count));
      start = end;
      first = line;
      count = 0;
    }
    end = lineEnd;
    count += 1;
  }
  done.push(record(first, start, end, count));
  used = end;
}

function record(first: LakeLine, start: number, end: number, count: number): PackedRecord {
  return {
    area: first.area,
    customerId: first.customerId,
    dt: first.dt,
    partitionKey: `${first.customerId}/${first.spreadKey}`.slice(0, MAX_PARTITION_KEY_CHARS),
    data: slab.subarray(start, end),
    bytes: end - start,
    count,
  };
}

/**
 * Records are written into a slab and handed out as views of it, each over its own bytes: a later call
 * writes past them and never changes them. A buffer of its own per record, and the copy into it, were
 * about 4 % of a 1-message request (`npm run profile -- --events 1`: docs/performance.md). A slab is
 * freed when the last record on it is dropped: the sinks drop a record once it is sent (Kinesis,
 * Firehose) or copied into the spool (spooling-lake-sink.ts), so a slab outlives its requests only while
 * they are in flight. packRecords runs to the end without yielding, so no two calls write at once.
 */
let slab = Buffer.allocUnsafeSlow(0);
let used = 0;
// Small enough that a few records in flight pin little memory; large enough that a new slab is rare (one
// per 35 or so single-message requests, whose two records take 2 KB together).
const SLAB_BYTES = 64 * 1024;

/**
 * The most bytes a line (in its parts) and its newline can take: a UTF-16 unit takes at most 3 UTF-8
 * bytes (a surrogate pair, two units, takes 4), and an event line's closing brace 1. `write` stops before a
 * character that does not fit, so room for the most is room enough.
 */
function mostBytes(line: LakeLine): number {
  const units = line.json.length + (line.message === undefined ? 0 : line.message.length);
  return units * MAX_UTF8_BYTES_PER_UNIT + 2;
}

/** Writes the line (in its parts) and its newline at `at`, where there is room for `mostBytes(line)`. */
function appendLine(at: number, line: LakeLine): number {
  let end = at + slab.write(line.json, at);
  if (line.message !== undefined) {
    end += slab.write(line.message, end);
    slab[end++] = CLOSE_BRACE;
  }
  slab[end] = NEWLINE;
  return end + 1;
}

const MAX_UTF8_BYTES_PER_UNIT = 3;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;
