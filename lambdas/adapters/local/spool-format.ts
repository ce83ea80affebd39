import type { LakeArea } from '../../core/lake-records';

/** One record as it waits in a spool segment. */
export interface SpooledRecord {
  area: LakeArea;
  customerId: string;
  dt: string;
  /** JSON lines, each ending in `\n`. */
  data: string;
}

/**
 * A spool record: a header line `R <area> <customerId> <dt> <bytes>` and then the data as is. The data
 * is already JSON lines, so it is neither escaped on the way in nor parsed on the way out; the byte
 * count lets a reader tell a complete record from one cut short by a crash.
 * (Customer ids and dates never contain spaces: see CUSTOMER_ID_PATTERN.)
 */
export function encodeSpoolRecord(record: SpooledRecord): Buffer {
  const data = Buffer.from(record.data);
  return Buffer.concat([
    Buffer.from(`R ${record.area} ${record.customerId} ${record.dt} ${data.length}\n`),
    data,
  ]);
}

/**
 * Every complete record of a segment. A record cut short at the end (a crash mid-append, never
 * acknowledged) is left out; `truncated` says whether there was one.
 */
export function decodeSpoolSegment(bytes: Buffer): { records: SpooledRecord[]; truncated: boolean } {
  const records: SpooledRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    if (end === -1) return { records, truncated: true };
    const header = /^R (events|quarantine|ledger) (\S+) (\S+) (\d+)$/.exec(bytes.toString('utf8', at, end));
    if (!header) return { records, truncated: true };
    const length = Number(header[4]);
    if (end + 1 + length > bytes.length) return { records, truncated: true };
    records.push({
      area: header[1] as LakeArea,
      customerId: header[2]!,
      dt: header[3]!,
      data: bytes.toString('utf8', end + 1, end + 1 + length),
    });
    at = end + 1 + length;
  }
  return { records, truncated: false };
}
