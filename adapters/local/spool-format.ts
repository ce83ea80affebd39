import { crc32 } from 'node:zlib';
import * as v from 'valibot';
import { DAY_PATTERN } from '../../domain/contract/formats';
import { areaOf, LAKE_AREAS, type LakeArea, receivedDt } from '../../domain/contract/lake-areas';
import {
  StoredLakeEventSchema,
  StoredLedgerEntrySchema,
  StoredQuarantineEntrySchema,
} from '../../domain/contract/lake-records';
import { CUSTOMER_ID_PATTERN } from '../../domain/core/keys/tokens';

/** One record as it waits in a spool segment. */
export interface SpooledRecord {
  area: LakeArea;
  customerId: string;
  dt: string;
  /** JSON lines, each ending in `\n`, as UTF-8 bytes (a view of the segment read, not a copy). */
  data: Buffer;
}

/** What a reader made of a segment: the intact records, and where it had to skip. */
export interface DecodedSegment {
  records: SpooledRecord[];
  /** Byte ranges `[start, end)` that held no intact record (damage, or a write cut short at the end). */
  skipped: { start: number; end: number }[];
}

// A record: the header line `S2 <area> <customerId> <dt> <bytes> <crc32>\n`, then the data as is. The
// data is already JSON lines, so it is neither escaped on the way in nor parsed on the way out. The
// CRC-32 (zlib's, built into Node) covers the header's fields and the data, so a changed byte anywhere
// — a customer id, a length, a payload — fails the check, and the byte count tells a complete record
// from one cut short. Every data line starts with `{`, so `\nS2 ` can only begin a record: after a bad
// record the reader resynchronises on the next one. Customer ids and dates never contain spaces
// (CUSTOMER_ID_PATTERN).
const MAGIC = 'S2 ';
const RESYNC = Buffer.from(`\n${MAGIC}`);
// A header is ~100 bytes (a 64-character customer id at most): anything longer is not a header.
const MAX_HEADER_BYTES = 256;
const HEADER = /^S2 (\S+) (\S+) (\d{4}-\d{2}-\d{2}) (\d{1,10}) ([0-9a-f]{8})$/;
const AREAS: ReadonlySet<string> = new Set(LAKE_AREAS);

/** A record to write: its data as text, or already encoded (a packed record's bytes, not copied again). */
export type SpoolRecordToWrite = Omit<SpooledRecord, 'data'> & { data: string | Buffer };

export function encodeSpoolRecord(record: SpoolRecordToWrite): Buffer {
  const data = typeof record.data === 'string' ? Buffer.from(record.data) : record.data;
  const fields = `${record.area} ${record.customerId} ${record.dt} ${data.length}`;
  const checksum = crc32(data, crc32(`${fields}\n`));
  return Buffer.concat([Buffer.from(`${MAGIC}${fields} ${hex(checksum)}\n`), data]);
}

/**
 * Every intact record of a segment, in order. A record whose checksum, length or header fails is
 * skipped, and reading resumes at the next record header; so one damaged record costs only itself,
 * and nothing that was not written as a whole record is ever returned.
 *
 * @example decodeSpoolSegment(encodeSpoolRecord(r)).records // [r]
 */
export function decodeSpoolSegment(bytes: Buffer): DecodedSegment {
  if (bytes.length > 1 && bytes[0] === 0x52 && bytes[1] === 0x20) return decodeLegacySegment(bytes);
  const out: DecodedSegment = { records: [], skipped: [] };
  let at = 0;
  while (at < bytes.length) {
    const next = readRecord(bytes, at);
    if (next) {
      out.records.push(next.record);
      at = next.end;
      continue;
    }
    const resync = bytes.indexOf(RESYNC, at);
    const end = resync === -1 ? bytes.length : resync + 1;
    out.skipped.push({ start: at, end });
    at = end;
  }
  return out;
}

function readRecord(bytes: Buffer, at: number): { record: SpooledRecord; end: number } | undefined {
  const newline = bytes.indexOf(0x0a, at);
  if (newline === -1 || newline - at > MAX_HEADER_BYTES) return undefined;
  const header = HEADER.exec(bytes.toString('latin1', at, newline));
  if (!header) return undefined;
  const [, area, customerId, dt, length, checksum] = header as unknown as string[];
  const start = newline + 1;
  const end = start + Number(length);
  if (end > bytes.length) return undefined;
  if (!AREAS.has(area!) || !CUSTOMER_ID_PATTERN.test(customerId!)) return undefined;
  const data = bytes.subarray(start, end);
  if (hex(crc32(data, crc32(`${area} ${customerId} ${dt} ${length}\n`))) !== checksum) return undefined;
  return {
    record: { area: area as LakeArea, customerId: customerId!, dt: dt!, data },
    end,
  };
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

/**
 * Segments written before the checksum (`R <area> <customerId> <dt> <bytes>\n`), which a data directory
 * may still hold after an upgrade: read to the first record that does not fit, the rest kept as skipped.
 */
function decodeLegacySegment(bytes: Buffer): DecodedSegment {
  const out: DecodedSegment = { records: [], skipped: [] };
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    const header =
      end === -1 ? null : /^R (\S+) (\S+) (\d{4}-\d{2}-\d{2}) (\d+)$/.exec(bytes.toString('latin1', at, end));
    const length = header ? Number(header[4]) : 0;
    if (
      !header ||
      end + 1 + length > bytes.length ||
      !AREAS.has(header[1]!) ||
      !CUSTOMER_ID_PATTERN.test(header[2]!)
    ) {
      out.skipped.push({ start: at, end: bytes.length });
      return out;
    }
    out.records.push({
      area: header[1] as LakeArea,
      customerId: header[2]!,
      dt: header[3]!,
      data: bytes.subarray(end + 1, end + 1 + length),
    });
    at = end + 1 + length;
  }
  return out;
}

const STORED = {
  events: StoredLakeEventSchema,
  quarantine: StoredQuarantineEntrySchema,
  ledger: StoredLedgerEntrySchema,
} as const;

/** The whole lines a damaged range still holds, and what could not be read. */
export interface Salvaged {
  records: SpooledRecord[];
  lines: number;
  /** Lines (or pieces of lines) that are not a valid lake line: they stay in the kept segment only. */
  unreadable: number;
}

/**
 * The intact lines of a segment's damaged ranges. A record's checksum covers all its lines, so one
 * flipped byte fails the whole record; its other lines are still whole. A line is salvaged when it is
 * a complete JSON line of a lake area that fits that area's schema (the contract's), with a customer id
 * a spool header could carry and a receive date: its partition comes from the line itself. A line
 * whose damage still parses and fits the schema cannot be told from an intact one (there is no per-line
 * checksum); every other damaged line stays in the kept segment for inspection.
 */
export function salvageLines(bytes: Buffer, skipped: DecodedSegment['skipped']): Salvaged {
  const out: Salvaged = { records: [], lines: 0, unreadable: 0 };
  for (const { start, end } of skipped) {
    const pieces = bytes.toString('utf8', start, end).split('\n');
    // The last piece has no newline: a line cut short (or the next header's start) is never whole.
    const last = pieces.pop();
    if (last) out.unreadable += 1;
    for (const piece of pieces) {
      if (piece.length === 0 || piece.startsWith(MAGIC) || piece.startsWith('R ')) continue;
      const record = lakeLine(piece);
      if (!record) {
        out.unreadable += 1;
        continue;
      }
      out.lines += 1;
      out.records.push({ ...record, data: Buffer.from(`${piece}\n`) });
    }
  }
  return out;
}

function lakeLine(text: string): Omit<SpooledRecord, 'data'> | undefined {
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const area = areaOf(value);
  if (!v.safeParse(STORED[area], value).success) return undefined;
  const record = value as { customer_id?: unknown; received_at?: unknown };
  const dt = receivedDt(record);
  if (typeof record.customer_id !== 'string' || !CUSTOMER_ID_PATTERN.test(record.customer_id))
    return undefined;
  if (!DAY_PATTERN.test(dt)) return undefined;
  return { area, customerId: record.customer_id, dt };
}
