import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as v from 'valibot';
import { writeFileAtomic } from '../../adapters/local/atomic-file';
import { acquirePidLock } from '../../adapters/local/pid-lock';
import {
  CURATED_AREA,
  CURATED_FILE,
  CURATED_MONTH,
  curatedPartitionPath,
  eventMonth,
  LOCAL_CURATED_WORK_DIRS,
  MONTH_PATTERN,
} from '../../domain/contract/curated-table';
import { NO_EVENT_DATE } from '../../domain/contract/formats';
import { identityFile } from '../../domain/contract/identity';
import {
  duckdbIncoming,
  duckdbMergedPartitions,
  duckdbResolveSentAtDates,
  duckdbWritePartition,
  SENT_AT_DATED,
} from '../../domain/contract/sql/curated-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import { CUSTOMER_ID_PATTERN } from '../../domain/core/keys/tokens';
import {
  type Damage,
  rebuildMarks,
  setAsideDamaged,
  setAsideDamagedCurated,
} from '../../local/damaged-objects';
import { buildIdentities, curatedCustomers } from '../../local/identity-tables';
import { curatedFiles, filesUnder, lakeObjectKeys } from '../../local/read-lake';

/**
 * `npm run compact`: the landing objects not taken yet, merged into the curated table (DuckDB).
 *
 * - Incremental per *object*: state lists every landing object taken, so objects Firehose or redrive
 *   deliver late into a day already compacted are taken too. The state is written last.
 * - Only the `(customer, event month)` partitions the new objects touch are rewritten: their existing
 *   rows and the new ones, one row per message (the first received), sorted by event time, to one
 *   Parquet file staged beside the table and renamed over the old one: a reader sees the old file or
 *   the new, never half.
 * - Idempotent and restartable: killed anywhere before the state is written, the next run takes the
 *   same objects again and merges them into partitions that may already hold them — the same rows.
 * - Reads only landing objects, which appear whole (written to a temporary file, then renamed), so it
 *   may run while `npm start` lands more. One compaction at a time (a lock beside the state).
 * - One customer never stops another: rounds are per customer, and bounded in size (memory). A round
 *   that fails has its objects inspected; a damaged one is set aside with its readable lines salvaged
 *   (local/damaged-objects.ts) and the round is tried once more. A customer whose round still fails is
 *   named in `failedCustomers`, its objects stay untaken (the next run tries again), and every other
 *   customer is committed.
 */
export interface CompactionReport {
  /**
   * Day partitions of an earlier version's table (`customer_id=…/event_date=…/`) found and removed: the
   * table was rebuilt from the landing zone, by month.
   */
  rebuiltDayPartitions: number;
  /**
   * Customers whose curated rows dated 1970-01-01 (an earlier release's date for a message with no time)
   * were moved: their landing objects are taken again, and those rows land by their receive date.
   */
  redatedCustomers: number;
  objectsSeen: number;
  objectsTaken: number;
  linesRead: number;
  partitionsRewritten: number;
  curatedFiles: number;
  curatedBytes: number;
  /** Objects set aside as damaged in this run (their readable lines salvaged and taken). */
  damaged: Damage[];
  /** Customers whose rounds failed even after damaged objects were set aside: not committed. */
  failedCustomers: { customerId: string; reason: string }[];
  /** Customers whose identity graph (`identities`, `users`) was built again, and those whose build failed. */
  identityCustomers: number;
  identityFailed: { customerId: string; reason: string }[];
}

export interface CompactionOptions {
  lakeRoot: string;
  /** Told after each partition is in place (done, total of the round) and after each round. */
  onProgress?: (done: number, total: number) => void;
  /** Tests: called at each step where a kill could land; throwing there stands for the kill. */
  crashPoint?: (point: 'read' | 'staged' | 'partition' | 'before-state' | 'after-state') => void;
  /** Objects per round: 5,000 objects are a few minutes of a busy local server. */
  maxObjectsPerRound?: number;
  /**
   * Inflated bytes of landing lines per round (the memory bound; default ROUND_BYTES). An object larger
   * than this is a round of its own, read by one DuckDB thread.
   */
  maxRoundBytes?: number;
  /** DuckDB's memory limit; beyond it, it spills to `<lake>/curated/_tmp`. */
  memoryLimit?: string;
}

const STATE_FILE = join('curated', '_state', 'taken-objects.json');
const StateSchema = v.object({ version: v.literal(1), objects: v.array(v.string()) });

export async function runCompaction(options: CompactionOptions): Promise<CompactionReport> {
  const { lakeRoot } = options;
  // A crash point's throw stands for a kill: marked, so a round's failure handling never catches it.
  const crash = (at: Parameters<NonNullable<CompactionOptions['crashPoint']>>[0]) => {
    try {
      options.crashPoint?.(at);
    } catch (error) {
      throw Object.assign(new Error(messageOf(error)), { name: SIMULATED_CRASH });
    }
  };
  const curatedRoot = join(lakeRoot, 'curated');
  mkdirSync(curatedRoot, { recursive: true });
  const lock = await acquirePidLock(join(curatedRoot, '.lock'), 'npm run compact');
  const [work, spill] = LOCAL_CURATED_WORK_DIRS.map((dir) => join(curatedRoot, dir)) as [string, string];
  try {
    // What a killed run staged is incomplete by definition; what it renamed into place is whole.
    rmSync(work, { recursive: true, force: true });
    rmSync(spill, { recursive: true, force: true });
    const rebuilt = removeDayPartitions(lakeRoot);
    const taken = readState(lakeRoot);
    const redated = retakeUndatedPartitions(lakeRoot, taken);
    retakeMarkedCustomers(lakeRoot, taken);
    const objects = lakeObjectKeys(lakeRoot, 'events');
    const fresh = objects.filter((key) => !taken.has(key));
    const report: CompactionReport = {
      rebuiltDayPartitions: rebuilt,
      redatedCustomers: redated,
      objectsSeen: objects.length,
      objectsTaken: 0,
      linesRead: 0,
      partitionsRewritten: 0,
      curatedFiles: 0,
      curatedBytes: 0,
      damaged: [],
      failedCustomers: [],
      identityCustomers: 0,
      identityFailed: [],
    };
    const perRound = options.maxObjectsPerRound ?? 5_000;
    const roundBytes = options.maxRoundBytes ?? ROUND_BYTES;
    const rounds = planRounds(lakeRoot, fresh, perRound, roundBytes);
    if (rounds.length > 0) {
      mkdirSync(spill, { recursive: true });
      const db = await DuckDBInstance.create(':memory:', {
        memory_limit: options.memoryLimit ?? '2GB',
        temp_directory: spill,
      });
      const duck = await db.connect();
      const failed = new Map<string, string>();
      // Customers whose damaged curated partition was set aside in this run: their rounds are planned
      // again over all their objects (appended to `rounds`), and their earlier plan is dropped.
      const replanned = new Set<string>();
      try {
        for (const round of rounds) {
          if (failed.has(round.customerId)) continue;
          if (replanned.has(round.customerId) && !round.replan) continue;
          let keys = round.keys;
          let result: { lines: number; partitions: number };
          try {
            result = await compactRoundOnce(duck, lakeRoot, keys, round.oversized, work, crash, options);
          } catch (error) {
            if (isCrash(error)) throw error;
            // A read that fails may be a damaged object: set it aside, salvage its lines, try once more.
            const damaged = setAsideDamaged(lakeRoot, keys);
            report.damaged.push(...damaged);
            if (damaged.length === 0) {
              // Or a curated partition it merges into: set aside, and the customer built again.
              const curated = round.replan
                ? []
                : await setAsideDamagedCurated(
                    lakeRoot,
                    customerCuratedFiles(lakeRoot, round.customerId),
                    duck,
                  );
              if (curated.length === 0) {
                failed.set(round.customerId, messageOf(error));
                continue;
              }
              report.damaged.push(...curated);
              retakeMarkedCustomers(lakeRoot, taken);
              const all = lakeObjectKeys(lakeRoot, 'events').filter((key) =>
                key.startsWith(`events/customer_id=${round.customerId}/`),
              );
              replanned.add(round.customerId);
              for (const again of planRounds(lakeRoot, all, perRound, roundBytes))
                rounds.push({ ...again, replan: true });
              continue;
            }
            const gone = new Set(damaged.map((d) => d.key));
            keys = [
              ...keys.filter((key) => !gone.has(key)),
              ...damaged.flatMap((d) => (d.salvaged_key ? [d.salvaged_key] : [])),
            ];
            try {
              result = await compactRoundOnce(duck, lakeRoot, keys, round.oversized, work, crash, options);
            } catch (again) {
              if (isCrash(again)) throw again;
              failed.set(round.customerId, messageOf(again));
              continue;
            }
            for (const d of damaged) taken.add(d.key);
          }
          report.linesRead += result.lines;
          report.partitionsRewritten += result.partitions;
          crash('before-state');
          for (const key of keys) taken.add(key);
          writeState(lakeRoot, taken);
          crash('after-state');
          report.objectsTaken += keys.length;
        }
      } finally {
        duck.closeSync();
        db.closeSync();
      }
      report.failedCustomers = [...failed].map(([customerId, reason]) => ({ customerId, reason }));
    }
    // The identity graph of every customer whose curated rows changed — and of any with curated rows but
    // no graph yet (a lake of the last release gets its graph here).
    const changed = new Set(
      rounds.map((r) => r.customerId).filter((c) => !report.failedCustomers.some((f) => f.customerId === c)),
    );
    for (const customerId of curatedCustomers(lakeRoot))
      if (!existsSync(join(lakeRoot, identityFile('identities', customerId)))) changed.add(customerId);
    if (changed.size > 0) {
      const built = await buildIdentities(lakeRoot, [...changed].sort());
      report.identityCustomers = built.built;
      report.identityFailed = built.failed;
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

/**
 * Inflated landing bytes per round. Measured: DuckDB reading 30 MiB of maximal (30 KB) messages with two
 * threads peaks near 0.5 GiB of its 2 GiB limit, and 60 MiB runs out of it; one thread reads 120 MiB.
 * So a round holds up to 32 MiB (the inflated limit of one request), and an object above it (a local
 * segment holds up to 16 MiB plus one request) is read alone by one thread. test/e2e/compaction-bounds.slow.test.ts.
 *
 * @internal
 */
export const ROUND_BYTES = 16 * 1024 * 1024;

/** A run's work: each round one customer's objects, at most `maxObjects` and `maxBytes` inflated. */
interface Round {
  customerId: string;
  keys: string[];
  /** One object larger than the byte budget: read by one thread. */
  oversized: boolean;
  /** Planned again in this run, after a damaged curated partition of the customer was set aside. */
  replan?: boolean;
}

function planRounds(
  lakeRoot: string,
  fresh: readonly string[],
  maxObjects: number,
  maxBytes: number,
): Round[] {
  const byCustomer = new Map<string, string[]>();
  for (const key of fresh) {
    const customer = /^events\/customer_id=([^/]+)\//.exec(key)?.[1] ?? '';
    const list = byCustomer.get(customer) ?? [];
    list.push(key);
    byCustomer.set(customer, list);
  }
  const rounds: Round[] = [];
  for (const [customerId, keys] of byCustomer) {
    let current: Round | undefined;
    let bytes = 0;
    for (const key of keys) {
      const size = inflatedBytes(join(lakeRoot, key));
      if (size > maxBytes) {
        rounds.push({ customerId, keys: [key], oversized: true });
        continue;
      }
      if (!current || current.keys.length >= maxObjects || bytes + size > maxBytes) {
        current = { customerId, keys: [], oversized: false };
        rounds.push(current);
        bytes = 0;
      }
      current.keys.push(key);
      bytes += size;
    }
  }
  return rounds;
}

/**
 * What a gzip object inflates to: its trailer's size field (RFC 1952 ISIZE, the size modulo 2^32 of its
 * last member), or its own size when that is larger (a damaged or multi-member object).
 */
function inflatedBytes(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 18) return size;
    const trailer = Buffer.alloc(4);
    readSync(fd, trailer, 0, 4, size - 4);
    return Math.max(size, trailer.readUInt32LE(0));
  } finally {
    closeSync(fd);
  }
}

const SIMULATED_CRASH = 'SimulatedCrash';

/** A customer's curated partition files. */
function customerCuratedFiles(lakeRoot: string, customerId: string): string[] {
  return curatedFiles(lakeRoot).filter((file) => file.includes(`/customer_id=${customerId}/`));
}

/**
 * The customers a reader marked for rebuilding (a damaged curated partition set aside): all their
 * landing objects are taken again — the state goes first, then the mark — and merged back.
 */
function retakeMarkedCustomers(lakeRoot: string, taken: Set<string>): void {
  const marks = rebuildMarks(lakeRoot);
  if (marks.customers.length === 0) return;
  for (const key of [...taken])
    if (marks.customers.some((customer) => key.startsWith(`events/customer_id=${customer}/`)))
      taken.delete(key);
  writeState(lakeRoot, taken);
  for (const customer of marks.customers) marks.clear(customer);
}

/** A crash point's throw (tests' kill): never caught as a round's failure. */
function isCrash(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === SIMULATED_CRASH;
}

function messageOf(error: unknown): string {
  // Not `instanceof Error`: DuckDB's errors may come from another realm (a test's VM context).
  const message = (error as { message?: unknown } | undefined)?.message;
  const text = typeof message === 'string' ? message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

async function compactRoundOnce(
  duck: Connection,
  lakeRoot: string,
  objects: string[],
  oversized: boolean,
  work: string,
  crash: NonNullable<CompactionOptions['crashPoint']>,
  options: CompactionOptions,
): Promise<{ lines: number; partitions: number }> {
  if (oversized) await duck.run('SET threads = 1');
  try {
    return await compactRound(duck, lakeRoot, objects, work, crash, options.onProgress);
  } finally {
    if (oversized) await duck.run('RESET threads');
  }
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
  // The partitions the round touches: (customer, month of the event date).
  const touched = (
    await duck.runAndReadAll(
      'SELECT DISTINCT customer_id, CAST(event_date AS VARCHAR) AS event_date FROM incoming ORDER BY 1, 2',
    )
  )
    .getRowObjects()
    .map((r) => ({ customerId: String(r.customer_id), month: eventMonth(String(r.event_date)) }))
    .filter(
      (p, i, all) => i === 0 || p.customerId !== all[i - 1]!.customerId || p.month !== all[i - 1]!.month,
    );
  for (const { customerId, month } of touched) {
    if (!CUSTOMER_ID_PATTERN.test(customerId))
      throw new Error(`a landing line names customer "${customerId}"`);
    if (!MONTH_PATTERN.test(month)) throw new Error(`a landing line has event date month "${month}"`);
  }
  const existing = touched
    .map((p) => join(lakeRoot, curatedPartitionPath(p.customerId, p.month), CURATED_FILE))
    .filter((file) => existsSync(file));
  const staging = join(work, randomUUID());
  mkdirSync(staging, { recursive: true });
  await duck.run(`CREATE OR REPLACE TEMP TABLE merged AS ${duckdbMergedPartitions('incoming', existing)}`);
  // One COPY per partition, each its own file: one write buffer at a time, whatever a Replay touches.
  const staged = touched.map((p, i) => ({ ...p, file: join(staging, `${i}.parquet`) }));
  for (const { customerId, month, file } of staged)
    await duck.run(duckdbWritePartition('merged', customerId, month, file));
  crash('staged');
  let done = 0;
  let written = 0;
  for (const { customerId, month, file } of staged) {
    const target = join(lakeRoot, curatedPartitionPath(customerId, month), CURATED_FILE);
    // A month only a later copy of a message carried (dated by sentAt) ends with no row: nothing to
    // write. A partition that had rows keeps them, so it is never empty.
    if (!existsSync(target) && (await rowsIn(duck, file)) === 0) {
      done += 1;
      onProgress?.(done, touched.length);
      continue;
    }
    fsyncFile(file);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(file, target);
    written += 1;
    fsyncFile(dirname(target));
    done += 1;
    onProgress?.(done, touched.length);
    crash('partition');
  }
  await duck.run('DROP TABLE merged');
  await duck.run('DROP TABLE incoming');
  return { lines, partitions: written };
}

async function rowsIn(duck: Connection, file: string): Promise<number> {
  const [row] = (
    await duck.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${literal(file)})`)
  ).getRowObjects();
  return Number(row!.n);
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

/**
 * Before the table was partitioned by month it was partitioned by day (`customer_id=<id>/event_date=
 * <YYYY-MM-DD>/`). Such a table is rebuilt, not converted: the landing zone holds every row it came from
 * (an erasure removes a user from both), and merging is idempotent. The state goes first, then the day
 * directories, so a run killed in between finds the rest and goes on; the month files already there are
 * merged into as usual. Returns how many day partitions were removed.
 */
function removeDayPartitions(lakeRoot: string): number {
  const table = join(lakeRoot, CURATED_AREA);
  if (!existsSync(table)) return 0;
  const days = readdirSync(table, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith('customer_id='))
    .flatMap((customer) =>
      readdirSync(join(table, customer.name), { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name.startsWith(LEGACY_DAY_DIRECTORY))
        .map((d) => join(table, customer.name, d.name)),
    );
  if (days.length === 0) return 0;
  const state = join(lakeRoot, STATE_FILE);
  if (existsSync(state)) {
    rmSync(state);
    fsyncFile(dirname(state));
  }
  for (const dir of days) rmSync(dir, { recursive: true, force: true });
  return days.length;
}

const LEGACY_DAY_DIRECTORY = 'event_date=';
const UNDATED_MOVED = join('curated', '_state', 'undated-moved.json');

/**
 * Once per lake: a release before 2026-12-07 dated a message with no time at all 1970-01-01, so such rows
 * sit in a customer's `event_month=1970-01` partition. The customers with one have their landing objects
 * taken again (the state goes first) and the partition removed; the merge then dates those rows by their
 * receive date (curated-sql.ts) and de-duplicates the rest. A marker records that it was done, so a
 * message really dated in January 1970 is not taken again on every run. Returns the customers moved.
 */
function retakeUndatedPartitions(lakeRoot: string, taken: Set<string>): number {
  const marker = join(lakeRoot, UNDATED_MOVED);
  if (existsSync(marker)) return 0;
  const table = join(lakeRoot, CURATED_AREA);
  const undatedMonth = `${CURATED_MONTH.column}=${eventMonth(NO_EVENT_DATE)}`;
  const customers = existsSync(table)
    ? readdirSync(table, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name.startsWith('customer_id='))
        .filter((d) => existsSync(join(table, d.name, undatedMonth)))
        .map((d) => d.name)
    : [];
  if (customers.length > 0) {
    for (const key of [...taken])
      if (customers.some((customer) => key.startsWith(`events/${customer}/`))) taken.delete(key);
    writeState(lakeRoot, taken);
    for (const customer of customers)
      rmSync(join(table, customer, undatedMonth), { recursive: true, force: true });
  }
  mkdirSync(dirname(marker), { recursive: true });
  writeFileAtomic(marker, `${JSON.stringify({ version: 1, customers: customers.length })}\n`);
  return customers.length;
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
