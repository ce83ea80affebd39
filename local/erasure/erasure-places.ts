import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CURATED_AREA, CURATED_FILE, SCORES_AREA, SCORES_FILE } from '../../lambdas/contract/curated-table';
import type { ErasePlace } from '../../lambdas/contract/erasure';
import {
  customerLandingPrefix,
  FIREHOSE_ERRORS_PREFIX,
  SHARED_PARTITION_CUSTOMER,
} from '../../lambdas/contract/lake-areas';
import { filesUnder } from '../read-lake';

/** One file an erase may rewrite: where it is, which place it belongs to, and how it is stored. */
export interface ErasableFile {
  place: ErasePlace;
  /** Relative to DATA_DIR: the key of the run state and the audit. */
  path: string;
  format: 'gzip-lines' | 'spool' | 'parquet';
}

// Redrive moves the error objects it delivered under this prefix (scripts/redrive/run-redrive.ts).
const REDRIVEN_PREFIX = `redriven/${FIREHOSE_ERRORS_PREFIX}`;

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
  const gz = (name: string) => name.endsWith('.gz');
  return [
    ...under('events', join(lake, customerLandingPrefix('events', customerId)), 'gzip-lines', gz),
    ...under(
      'quarantine',
      join(lake, customerLandingPrefix('quarantine', SHARED_PARTITION_CUSTOMER)),
      'gzip-lines',
      gz,
    ),
    // Quarantine lines landed before the shared partition, under the customer's own.
    ...under('quarantine', join(lake, customerLandingPrefix('quarantine', customerId)), 'gzip-lines', gz),
    ...under('errors', join(lake, FIREHOSE_ERRORS_PREFIX), 'gzip-lines', () => true),
    ...under('redriven', join(lake, REDRIVEN_PREFIX), 'gzip-lines', () => true),
    ...under('spool_damaged', join(dataDir, 'spool', 'damaged'), 'spool', (n) => n.endsWith('.spool')),
    ...under(
      'curated',
      join(lake, CURATED_AREA, `customer_id=${customerId}`),
      'parquet',
      (n) => n === CURATED_FILE,
    ),
    ...under(
      'scores',
      join(lake, SCORES_AREA, `customer_id=${customerId}`),
      'parquet',
      (n) => n === SCORES_FILE,
    ),
  ];
}

/** A gzip-lines file's text (Firehose's error output may be plain text). */
export function readLines(path: string): string {
  if (!existsSync(path)) return '';
  const bytes = readFileSync(path);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
}

/** The bytes to write back, in the file's own encoding. */
export function encodeLines(path: string, text: string): Buffer {
  const bytes = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const gzipped = bytes.length === 0 || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  return gzipped ? gzipSync(text) : Buffer.from(text);
}
