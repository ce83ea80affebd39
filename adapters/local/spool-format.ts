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

// A record: the header line `S3 <area> <customerId> <dt> <bytes> <crc32> <line crc32s>\n`, then the data
// as is. The data is already JSON lines, so it is neither escaped on the way in nor parsed on the way
// out. The CRC-32 (zlib's, built into Node) covers the header's fields (the line checksums too) and the
// data, so a changed byte anywhere — a customer id, a length, a payload — fails the check, and the byte
// count tells a complete record from one cut short. The line checksums (8 hex digits per data line, in
// order, no separator) are what salvage uses: a line of a damaged record lands only if its CRC-32 is one
// of them, so a flipped bit that leaves a line valid JSON (`"co-1234"` → `"Co-1234"`) is kept aside, not
// landed. Every data line starts with `{`, so `\nS3 ` (or the last release's `\nS2 `) can only begin a
// record: after a bad record the reader resynchronises on the next one. Customer ids and dates never
// contain spaces (CUSTOMER_ID_PATTERN).
const MAGIC = 'S3 ';
// Records of the last release: the same, without the line checksums (read, salvaged by schema only).
const MAGIC_S2 = 'S2 ';
const RESYNC = Buffer.from(`\n${MAGIC}`);
const RESYNC_S2 = Buffer.from(`\n${MAGIC_S2}`);
// A header is ~100 bytes (a 64-character customer id at most) plus 8 per line of its record; a record
// is at most 1 MiB (a Firehose record) of lines of at least 3 bytes: anything longer is not a header.
const MAX_HEADER_BYTES = 256 + 8 * Math.ceil((1024 * 1024) / 3);
const HEADER = /^S3 (\S+) (\S+) (\d{4}-\d{2}-\d{2}) (\d{1,10}) ([0-9a-f]{8}) ((?:[0-9a-f]{8})*)$/;
const HEADER_S2 = /^S2 (\S+) (\S+) (\d{4}-\d{2}-\d{2}) (\d{1,10}) ([0-9a-f]{8})$/;
const AREAS: ReadonlySet<string> = new Set(LAKE_AREAS);

/** A record to write: its data as text, or already encoded (a packed record's bytes, not copied again). */
export type SpoolRecordToWrite = Omit<SpooledRecord, 'data'> & { data: string | Buffer };

export function encodeSpoolRecord(record: SpoolRecordToWrite): Buffer {
  const data = typeof record.data === 'string' ? Buffer.from(record.data) : record.data;
  const fields = `${record.area} ${record.customerId} ${record.dt} ${data.length}`;
  const lines = lineChecksums(data);
  const checksum = crc32(data, crc32(`${fields} ${lines}\n`));
  return Buffer.concat([Buffer.from(`${MAGIC}${fields} ${hex(checksum)} ${lines}\n`), data]);
}

/** The CRC-32 of each line of `data` (each ending in `\n`, the newline not counted), as hex, in order. */
function lineChecksums(data: Buffer): string {
  let out = '';
  let at = 0;
  while (at < data.length) {
    let end = data.indexOf(0x0a, at);
    if (end === -1) end = data.length;
    out += hex(crc32(data.subarray(at, end)));
    at = end + 1;
  }
  return out;
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
    const resync = nextHeader(bytes, at);
    const end = resync === -1 ? bytes.length : resync + 1;
    out.skipped.push({ start: at, end });
    at = end;
  }
  return out;
}

/** Where the next record header (`\nS3 ` or `\nS2 `) after `at` starts its newline, or -1. */
function nextHeader(bytes: Buffer, at: number): number {
  const s3 = bytes.indexOf(RESYNC, at);
  const s2 = bytes.indexOf(RESYNC_S2, at);
  return s3 === -1 ? s2 : s2 === -1 ? s3 : Math.min(s2, s3);
}

/** A record header's fields, this release's (with line checksums) or the last one's. */
function parseHeader(
  text: string,
):
  | { area: string; customerId: string; dt: string; length: string; checksum: string; lines?: string }
  | undefined {
  const s3 = HEADER.exec(text);
  if (s3)
    return { area: s3[1]!, customerId: s3[2]!, dt: s3[3]!, length: s3[4]!, checksum: s3[5]!, lines: s3[6]! };
  const s2 = HEADER_S2.exec(text);
  return s2 ? { area: s2[1]!, customerId: s2[2]!, dt: s2[3]!, length: s2[4]!, checksum: s2[5]! } : undefined;
}

function readRecord(bytes: Buffer, at: number): { record: SpooledRecord; end: number } | undefined {
  const newline = bytes.indexOf(0x0a, at);
  if (newline === -1 || newline - at > MAX_HEADER_BYTES) return undefined;
  const header = parseHeader(bytes.toString('latin1', at, newline));
  if (!header) return undefined;
  const { area, customerId, dt, length, checksum, lines } = header;
  const start = newline + 1;
  const end = start + Number(length);
  if (end > bytes.length) return undefined;
  if (!AREAS.has(area) || !CUSTOMER_ID_PATTERN.test(customerId)) return undefined;
  const data = bytes.subarray(start, end);
  const covered = `${area} ${customerId} ${dt} ${length}${lines === undefined ? '' : ` ${lines}`}\n`;
  if (hex(crc32(data, crc32(covered))) !== checksum) return undefined;
  return {
    record: { area: area as LakeArea, customerId, dt, data },
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
 * the line that was written: its CRC-32 is one of those its record's header lists. With the header
 * itself damaged, no line of the record can be checked, and none is salvaged. A salvaged line must also
 * be a complete JSON line of a lake area that fits that area's schema (the contract's), with a customer
 * id a spool header could carry and a receive date: its partition comes from the line itself. Records
 * of the last release (`S2`, no line checksums) are salvaged by that check alone. Every other line stays
 * in the kept segment for inspection, counted as unreadable.
 */
export function salvageLines(bytes: Buffer, skipped: DecodedSegment['skipped']): Salvaged {
  const out: Salvaged = { records: [], lines: 0, unreadable: 0 };
  for (const { start, end } of skipped) {
    const pieces = bytes.toString('utf8', start, end).split('\n');
    // The last piece has no newline: a line cut short (or the next header's start) is never whole.
    const last = pieces.pop();
    if (last) out.unreadable += 1;
    // The range starts at a record's header: its line checksums, when it is this release's and reads.
    const first = pieces[0] ?? '';
    const header = first.startsWith(MAGIC) ? parseHeader(first) : undefined;
    const written = header?.lines === undefined ? undefined : checksumSet(header.lines);
    const checkable = !first.startsWith(MAGIC) || written !== undefined;
    for (const piece of pieces) {
      if (
        piece.length === 0 ||
        piece.startsWith(MAGIC) ||
        piece.startsWith(MAGIC_S2) ||
        piece.startsWith('R ')
      )
        continue;
      const record = checkable && (!written || written.has(hex(crc32(piece)))) ? lakeLine(piece) : undefined;
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

function checksumSet(lines: string): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i < lines.length; i += 8) set.add(lines.slice(i, i + 8));
  return set;
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
