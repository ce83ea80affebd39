import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as v from 'valibot';
import { writeFileAtomic } from '../../adapters/local/atomic-file';
import { acquirePidLock } from '../../adapters/local/pid-lock';
import { CURATED_AREA, CURATED_FILE, curatedPartitionPath } from '../../domain/contract/curated-table';
import {
  duckdbIncoming,
  duckdbMergedPartitions,
  duckdbResolveSentAtDates,
  SENT_AT_DATED,
} from '../../domain/contract/sql/curated-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import { CUSTOMER_ID_PATTERN } from '../../domain/core/keys/tokens';
import { filesUnder, lakeObjectKeys } from '../../local/read-lake';

/**
 * `npm run compact`: the landing objects not taken yet, merged into the curated table (DuckDB).
 *
 * - Incremental per *object*: state lists every landing object taken, so objects Firehose or redrive
 *   deliver late into a day already compacted are taken too. The state is written last.
 * - Only the `(customer, event_date)` partitions the new objects touch are rewritten: their existing
 *   rows and the new ones, one row per message (the first received), to one Parquet file staged
 *   beside the table and renamed over the old one: a reader sees the old file or the new, never half.
 * - Idempotent and restartable: killed anywhere before the state is written, the next run takes the
 *   same objects again and merges them into partitions that may already hold them — the same rows.
 * - Reads only landing objects, which appear whole (written to a temporary file, then renamed), so it
 *   may run while `npm start` lands more. One compaction at a time (a lock beside the state).
 */
export interface CompactionReport {
  objectsSeen: number;
  objectsTaken: number;
  linesRead: number;
  partitionsRewritten: number;
  curatedFiles: number;
  curatedBytes: number;
}

export interface CompactionOptions {
  lakeRoot: string;
  /** Told after each partition is in place (done, total of the round) and after each round. */
  onProgress?: (done: number, total: number) => void;
  /** Tests: called at each step where a kill could land; throwing there stands for the kill. */
  crashPoint?: (point: 'read' | 'staged' | 'partition' | 'before-state' | 'after-state') => void;
  /** Objects per round (memory bound): 5,000 objects are a few minutes of a busy local server. */
  maxObjectsPerRound?: number;
  /** DuckDB's memory limit; beyond it, it spills to `<lake>/curated/_tmp`. */
  memoryLimit?: string;
}

const STATE_FILE = join('curated', '_state', 'taken-objects.json');
const StateSchema = v.object({ version: v.literal(1), objects: v.array(v.string()) });

export async function runCompaction(options: CompactionOptions): Promise<CompactionReport> {
  const { lakeRoot } = options;
  const crash = options.crashPoint ?? (() => undefined);
  const curatedRoot = join(lakeRoot, 'curated');
  mkdirSync(curatedRoot, { recursive: true });
  const lock = await acquirePidLock(join(curatedRoot, '.lock'), 'npm run compact');
  const work = join(curatedRoot, '_staging');
  const spill = join(curatedRoot, '_tmp');
  try {
    // What a killed run staged is incomplete by definition; what it renamed into place is whole.
    rmSync(work, { recursive: true, force: true });
    rmSync(spill, { recursive: true, force: true });
    const taken = readState(lakeRoot);
    const objects = lakeObjectKeys(lakeRoot, 'events');
    const fresh = objects.filter((key) => !taken.has(key));
    const report: CompactionReport = {
      objectsSeen: objects.length,
      objectsTaken: 0,
      linesRead: 0,
      partitionsRewritten: 0,
      curatedFiles: 0,
      curatedBytes: 0,
    };
    const perRound = options.maxObjectsPerRound ?? 5_000;
    if (fresh.length > 0) {
      mkdirSync(spill, { recursive: true });
      const db = await DuckDBInstance.create(':memory:', {
        memory_limit: options.memoryLimit ?? '2GB',
        temp_directory: spill,
      });
      const duck = await db.connect();
      try {
        for (let start = 0; start < fresh.length; start += perRound) {
          const round = fresh.slice(start, start + perRound);
          const { lines, partitions } = await compactRound(
            duck,
            lakeRoot,
            round,
            work,
            crash,
            options.onProgress,
          );
          report.linesRead += lines;
          report.partitionsRewritten += partitions;
          crash('before-state');
          for (const key of round) taken.add(key);
          writeState(lakeRoot, taken);
          crash('after-state');
          report.objectsTaken += round.length;
        }
      } finally {
        duck.closeSync();
        db.closeSync();
      }
    }
    for (const file of curatedFiles(lakeRoot)) {
      report.curatedFiles += 1;
      report.curatedBytes += statSync(file).size;
    }
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(spill, { recursive: true, force: true });
    await lock.release();
  }
}

type Connection = Awaited<ReturnType<DuckDBInstance['connect']>>;

// Partitions per COPY: 64 × DuckDB's 256 KiB buffers stays far under the memory limit, and a year of
// one customer's days is six writes.
const PARTITIONS_PER_WRITE = 64;

/** Touched partitions (sorted by customer, date) in runs of one customer and at most `size` dates. */
export function partitionChunks(
  touched: { customerId: string; eventDate: string }[],
  size: number,
): { customerId: string; from: string; to: string; dates: string[] }[] {
  const chunks: { customerId: string; from: string; to: string; dates: string[] }[] = [];
  for (const { customerId, eventDate } of touched) {
    const last = chunks.at(-1);
    if (last && last.customerId === customerId && last.dates.length < size) {
      last.dates.push(eventDate);
      last.to = eventDate;
    } else chunks.push({ customerId, from: eventDate, to: eventDate, dates: [eventDate] });
  }
  return chunks;
}

async function compactRound(
  duck: Connection,
  lakeRoot: string,
  objects: string[],
  work: string,
  crash: NonNullable<CompactionOptions['crashPoint']>,
  onProgress: CompactionOptions['onProgress'],
): Promise<{ lines: number; partitions: number }> {
  await duck.run(
    duckdbIncoming(
      'incoming',
      objects.map((key) => join(lakeRoot, key)),
    ),
  );
  crash('read');
  await resolveSentAtDates(duck, lakeRoot);
  const lines = Number(
    (await duck.runAndReadAll('SELECT count(*) AS n FROM incoming')).getRowObjects()[0]!.n,
  );
  const touched = (
    await duck.runAndReadAll(
      'SELECT DISTINCT customer_id, CAST(event_date AS VARCHAR) AS event_date FROM incoming ORDER BY 1, 2',
    )
  )
    .getRowObjects()
    .map((r) => ({ customerId: String(r.customer_id), eventDate: String(r.event_date) }));
  for (const { customerId } of touched)
    if (!CUSTOMER_ID_PATTERN.test(customerId))
      throw new Error(`a landing line names customer "${customerId}"`);
  const existing = touched
    .map((p) => join(lakeRoot, curatedPartitionPath(p.customerId, p.eventDate), CURATED_FILE))
    .filter((file) => existsSync(file));
  const staging = join(work, randomUUID());
  mkdirSync(staging, { recursive: true });
  await duck.run(`CREATE OR REPLACE TEMP TABLE merged AS ${duckdbMergedPartitions('incoming', existing)}`);
  // Written a few partitions at a time: DuckDB keeps a buffer per partition of a partitioned COPY,
  // and a Replay touches thousands (7,251 for the bench's 100,000 events ran 1.8 GiB out of memory).
  const chunks = partitionChunks(touched, PARTITIONS_PER_WRITE);
  for (const [i, chunk] of chunks.entries())
    await duck.run(
      `COPY (SELECT * FROM merged WHERE customer_id = ${literal(chunk.customerId)} AND event_date BETWEEN DATE ${literal(chunk.from)} AND DATE ${literal(chunk.to)}) TO ${literal(join(staging, String(i)))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (customer_id, event_date), FILENAME_PATTERN 'data_{i}')`,
    );
  crash('staged');
  let done = 0;
  let written = 0;
  for (const [i, chunk] of chunks.entries()) {
    for (const eventDate of chunk.dates) {
      const { customerId } = chunk;
      const stagedDir = join(staging, String(i), `customer_id=${customerId}`, `event_date=${eventDate}`);
      const target = join(lakeRoot, curatedPartitionPath(customerId, eventDate), CURATED_FILE);
      // A date only a later copy of a message carried (dated by sentAt) ends with no row: nothing to
      // write. A partition that had rows keeps them, so it is never empty.
      if (!existsSync(stagedDir) && !existsSync(target)) {
        done += 1;
        onProgress?.(done, touched.length);
        continue;
      }
      const files = readdirSync(stagedDir);
      // One file per partition per rewrite: DuckDB writes one per partition unless told a size limit.
      if (files.length !== 1) throw new Error(`${stagedDir}: ${files.length} files staged, expected 1`);
      const staged = join(stagedDir, files[0]!);
      fsyncFile(staged);
      mkdirSync(dirname(target), { recursive: true });
      renameSync(staged, target);
      written += 1;
      fsyncFile(dirname(target));
      done += 1;
      onProgress?.(done, touched.length);
      crash('partition');
    }
  }
  await duck.run('DROP TABLE merged');
  await duck.run('DROP TABLE incoming');
  return { lines, partitions: written };
}

/**
 * A message dated by `sentAt` may come again with another date: its incoming copies take the date of
 * the row the table already holds, looked up by id in the customer's every partition (read only for
 * customers with such rows in the round; Segment always sends a `timestamp`).
 */
async function resolveSentAtDates(duck: Connection, lakeRoot: string): Promise<void> {
  const customers = (
    await duck.runAndReadAll(`SELECT DISTINCT customer_id FROM incoming WHERE ${SENT_AT_DATED}`)
  )
    .getRowObjects()
    .map((r) => String(r.customer_id))
    .filter((customer) => CUSTOMER_ID_PATTERN.test(customer));
  const files = customers.flatMap((customer) =>
    filesUnder(join(lakeRoot, CURATED_AREA, `customer_id=${customer}`), (name) => name === CURATED_FILE),
  );
  if (files.length > 0) await duck.run(duckdbResolveSentAtDates('incoming', files));
}

/** Every curated Parquet file. */
export function curatedFiles(lakeRoot: string): string[] {
  return filesUnder(join(lakeRoot, CURATED_AREA), (name) => name === CURATED_FILE);
}

function readState(lakeRoot: string): Set<string> {
  const path = join(lakeRoot, STATE_FILE);
  if (!existsSync(path)) return new Set();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    parsed = undefined;
  }
  const result = v.safeParse(StateSchema, parsed);
  if (!result.success)
    throw new Error(
      `${path} is damaged: remove it to take every landing object again (safe: merging is idempotent)`,
    );
  return new Set(result.output.objects);
}

function writeState(lakeRoot: string, taken: Set<string>): void {
  const path = join(lakeRoot, STATE_FILE);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify({ version: 1, objects: [...taken].sort() })}\n`);
  fsyncFile(dirname(path));
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
