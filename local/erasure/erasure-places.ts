import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { AUDIENCE_MEMBERS_FILE, AUDIENCES_AREA } from '../../domain/contract/audiences';
import { CURATED_AREA, CURATED_FILE, SCORES_FILE } from '../../domain/contract/curated-table';
import { type ErasePlace, erasePrefixes } from '../../domain/contract/erasure';
import { SHARED_PARTITION_CUSTOMER } from '../../domain/contract/lake-areas';
import { DAMAGED_AREA } from '../damaged-objects';
import { filesUnder } from '../read-lake';

/** One file an erase may rewrite: where it is, which place it belongs to, and how it is stored. */
export interface ErasableFile {
  place: ErasePlace;
  /** Relative to DATA_DIR: the key of the run state and the audit. */
  path: string;
  /** `damaged`: a landing object set aside as unreadable, deleted whole (it cannot be rewritten). */
  format: 'gzip-lines' | 'spool' | 'parquet' | 'damaged';
}

/**
 * Every file under DATA_DIR that may hold one customer's data about a user, by place: the customer's
 * landing events, the shared quarantine partitions, Firehose's error output and what redrive kept of
 * it, damaged spool segments, the customer's curated partitions and scores. Lake paths come from the
 * contract's layouts; the ledger holds counts only and is not listed.
 */
export function erasableFiles(dataDir: string, customerId: string): ErasableFile[] {
  const lake = join(dataDir, 'lake');
  const under = (
    place: ErasePlace,
    dir: string,
    format: ErasableFile['format'],
    accept: (n: string) => boolean,
  ) => filesUnder(dir, accept).map((file) => ({ place, path: relative(dataDir, file), format }));
  return [
    ...erasePrefixes(customerId).flatMap(({ place, prefix }) =>
      place === 'scores'
        ? under(place, join(lake, prefix), 'parquet', (n) => n === SCORES_FILE)
        : under(place, join(lake, prefix), 'gzip-lines', (n) => !n.endsWith('.tmp')),
    ),
    ...under('spool_damaged', join(dataDir, 'spool', 'damaged'), 'spool', (n) => n.endsWith('.spool')),
    // The customer's damaged landing events and the shared quarantine's: the unreadable part of such an
    // object may hold the user's rows and cannot be checked, so an erase deletes it (docs/privacy.md).
    ...[
      join(lake, DAMAGED_AREA, 'events', `customer_id=${customerId}`),
      join(lake, DAMAGED_AREA, 'quarantine', `customer_id=${SHARED_PARTITION_CUSTOMER}`),
      join(lake, DAMAGED_AREA, 'quarantine', `customer_id=${customerId}`),
    ].flatMap((dir) => under('damaged_objects', dir, 'damaged', (n) => n.endsWith('.gz'))),
    // A damaged curated partition set aside (compaction builds it again from the landing zone).
    ...under(
      'damaged_objects',
      join(lake, DAMAGED_AREA, CURATED_AREA, `customer_id=${customerId}`),
      'damaged',
      (n) => n.endsWith('.parquet'),
    ),
    ...under(
      'curated',
      join(lake, CURATED_AREA, `customer_id=${customerId}`),
      'parquet',
      (n) => n === CURATED_FILE,
    ),
    // Every version of the customer's audiences: a member is a scored person (npm run audience).
    ...under(
      'audiences',
      join(lake, AUDIENCES_AREA, `customer_id=${customerId}`),
      'parquet',
      (n) => n === AUDIENCE_MEMBERS_FILE,
    ),
  ];
}

/** A gzip-lines file's text (Firehose's error output may be plain text). */
export function readLines(path: string): string {
  if (!existsSync(path)) return '';
  const bytes = readFileSync(path);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
}

/** What can still be read of a damaged gzip object: its text up to the break. */
export function readDamagedLines(path: string): string {
  if (!existsSync(path)) return '';
  try {
    return gunzipSync(readFileSync(path), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch {
    return '';
  }
}

/** The bytes to write back, in the file's own encoding. */
export function encodeLines(path: string, text: string): Buffer {
  const bytes = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const gzipped = bytes.length === 0 || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  return gzipped ? gzipSync(text) : Buffer.from(text);
}
