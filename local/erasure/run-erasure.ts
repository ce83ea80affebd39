import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as v from 'valibot';
import { writeFileAtomic } from '../../adapters/local/atomic-file';
import { erasureDir, type FileErasureLog } from '../../adapters/local/file-erasure-log';
import { acquirePidLock, LockHeldError } from '../../adapters/local/pid-lock';
import { CURATED_AREA, LOCAL_CURATED_WORK_DIRS } from '../../domain/contract/curated-table';
import {
  ERASE_PLACES,
  type ErasePlace,
  type ErasureEntry,
  erasedRowsKey,
  erasedRowsLines,
} from '../../domain/contract/erasure';
import { literal } from '../../domain/contract/sql/sql-text';
import { dueRequests } from '../../domain/core/erasure/due-requests';
import { eraseFromText, linkFromText } from '../../domain/core/erasure/erase-lines';
import { ErasureMatcher } from '../../domain/core/erasure/erasure-matcher';
import { executedEntries, passTotals, zeroRows } from '../../domain/core/erasure/pass-audit';
import { setAsideDamaged, setAsideDamagedCurated } from '../damaged-objects';
import { rebuildIdentitiesAfterErase } from '../identity-tables';
import { eraseFromSegment } from './erase-spool';
import { type ErasableFile, encodeLines, erasableFiles, readDamagedLines, readLines } from './erasure-places';

/**
 * Executes recorded delete requests over a DATA_DIR, one pass per customer for all of its due
 * requests. The caller owns the DATA_DIR (local/data-dir-lock.ts) and has landed the spool; the
 * curated table's lock is taken here, so a compaction never runs beside an erase.
 *
 * Resumable at every step: the pass's plan (the users, the anonymous ids it linked to them, and each
 * file's progress) is kept in `erasure/run-<customer>.json` before anything is rewritten, every file is
 * replaced atomically, and a file is counted once even when a kill lands between its replacement and
 * the plan's update. The plan holds the ids in clear while the pass runs and is removed when the audit
 * is written: then only keyed hashes remain.
 */
export interface ErasureRunOptions {
  dataDir: string;
  log: FileErasureLog;
  now: () => number;
  /** Hours a request may wait (the promise); due after a third of it (contract/erasure.ts). */
  windowHours: number;
  /** Execute every pending request now, whatever its age. */
  all?: boolean;
  /** Only this customer's requests. */
  customerId?: string;
  /** Tests: throwing here stands for a kill at that step. */
  crashPoint?: (point: 'linked' | 'file-intent' | 'file-replaced' | 'verified' | 'audited') => void;
  onProgress?: (customerId: string, done: number, total: number) => void;
  /** Told the size of every file the pass reads (the bench counts the bytes an erase costs). */
  onRead?: (bytes: number) => void;
}

export interface CustomerErasure {
  customerId: string;
  requests: number;
  rowsRemoved: Record<ErasePlace, number>;
  objectsRewritten: number;
  remainingAfter: number;
}

const FileProgress = v.object({
  place: v.picklist(ERASE_PLACES),
  status: v.picklist(['writing', 'done']),
  rows: v.number(),
  events: v.number(),
  quarantine: v.number(),
  byDay: v.record(v.string(), v.object({ events: v.number(), quarantine: v.number() })),
  /** For a quarantine object: the index each kept line had before (redrive's state names lines by index). */
  keptIndexes: v.optional(v.array(v.number())),
});
const RunStateSchema = v.object({
  version: v.literal(1),
  customerId: v.string(),
  requests: v.array(v.string()),
  users: v.array(v.object({ userId: v.string(), cutoffMs: v.number() })),
  linked: v.nullable(v.array(v.object({ userId: v.string(), cutoffMs: v.number() }))),
  files: v.record(v.string(), FileProgress),
});
type RunState = v.InferOutput<typeof RunStateSchema>;

const SIMULATED_KILL = 'SimulatedKill';
// Extra rounds of a pass over every file when its verification still finds rows (see eraseCustomer).
const AGAIN_ROUNDS = 2;

/**
 * The rows this pass removed so far, by receive day, where completeness subtracts them: written after
 * every round, so rows count as erased from the moment they are removed — never as missing while a pass
 * that has not finished is run again. The pass's last write (with its audit) gives the same file.
 */
function writeErasedRows(
  dataDir: string,
  customerId: string,
  state: RunState,
  entries: ErasureEntry[],
): void {
  const first = entries[0];
  if (!first) return;
  const totals = passTotals(Object.values(state.files));
  const lines = erasedRowsLines({
    customer_id: customerId,
    message_id: first.message_id,
    removed_by_day: totals.byDay,
  });
  if (lines.length === 0) return;
  const key = join(dataDir, 'lake', erasedRowsKey(customerId, passName(state.requests)));
  mkdirSync(dirname(key), { recursive: true });
  writeFileAtomic(key, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

export async function runErasure(options: ErasureRunOptions): Promise<CustomerErasure[]> {
  const { dataDir, log } = options;
  const customers = new Set<string>();
  // A pass a kill interrupted is finished first, with exactly the requests it started with.
  for (const file of existsSync(erasureDir(dataDir)) ? readdirSync(erasureDir(dataDir)) : [])
    if (file.startsWith('run-') && file.endsWith('.json'))
      customers.add(readRunState(join(erasureDir(dataDir), file)).customerId);
  const due = dueRequests(log.all(), options.now(), options.windowHours, options);
  for (const customerId of due.keys()) customers.add(customerId);
  if (customers.size === 0) return [];
  mkdirSync(join(dataDir, 'lake', 'curated'), { recursive: true });
  const curatedLock = await acquirePidLock(join(dataDir, 'lake', 'curated', '.lock'), 'npm run erase').catch(
    (error: Error) => {
      if (!(error instanceof LockHeldError)) throw error;
      throw new Error(`${error.message}: the curated table is being compacted; erase again once it is done`);
    },
  );
  try {
    // What a killed compaction staged (copies of rows, the erased users' among them) goes first.
    for (const dir of LOCAL_CURATED_WORK_DIRS)
      rmSync(join(dataDir, 'lake', 'curated', dir), { recursive: true, force: true });
    const out: CustomerErasure[] = [];
    const failed: string[] = [];
    // One customer's failing pass never stops another's: each is tried, the failures named at the end.
    for (const customerId of [...customers].sort()) {
      try {
        out.push(await eraseCustomerSettingAsideDamage(options, customerId, due.get(customerId) ?? []));
        // A pass a kill or a failure interrupted ran with the requests it started with: requests of
        // the customer that came due meanwhile get their own pass now, not at the next check.
        const later = dueRequests(log.all(), options.now(), options.windowHours, options).get(customerId);
        if (later && later.length > 0 && !existsSync(join(erasureDir(dataDir), `run-${customerId}.json`)))
          out.push(await eraseCustomerSettingAsideDamage(options, customerId, later));
        // The identity graph named the erased users: built again from the erased rows.
        await rebuildIdentitiesAfterErase(join(dataDir, 'lake'), customerId);
      } catch (error) {
        if ((error as { name?: unknown }).name === SIMULATED_KILL) throw error;
        failed.push(`${customerId}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    if (failed.length > 0)
      throw new Error(
        `erase failed for ${failed.length} customer(s), each to be run again (the others were erased): ${failed.join('; ')}`,
      );
    return out;
  } finally {
    await curatedLock.release();
  }
}

/**
 * A pass that fails reading a landing object (a damaged gzip stream, a line that is not JSON) sets the
 * customer's damaged objects aside, their readable lines salvaged (local/damaged-objects.ts), and runs
 * once more: the salvaged copies are erased like any landing object, the damaged ones deleted.
 */
async function eraseCustomerSettingAsideDamage(
  options: ErasureRunOptions,
  customerId: string,
  due: ErasureEntry[],
): Promise<CustomerErasure> {
  try {
    return await eraseCustomer(options, customerId, due);
  } catch (error) {
    if ((error as { name?: unknown }).name === SIMULATED_KILL) throw error;
    const lake = join(options.dataDir, 'lake');
    const keys = erasableFiles(options.dataDir, customerId)
      .filter((f) => f.format === 'gzip-lines' && (f.place === 'events' || f.place === 'quarantine'))
      .map((f) => relative(lake, join(options.dataDir, f.path)));
    const landing = setAsideDamaged(lake, keys);
    // A damaged curated partition too: set aside (deleted by the next pass, as a damaged copy) and
    // marked for compaction to build again from the landing zone, which this pass erases.
    const duck = await openDuck();
    let curated: unknown[];
    try {
      const partitions = erasableFiles(options.dataDir, customerId)
        .filter((f) => f.place === 'curated')
        .map((f) => join(options.dataDir, f.path));
      curated = await setAsideDamagedCurated(lake, partitions, duck);
    } finally {
      duck.closeSync();
    }
    if (landing.length + curated.length === 0) throw error;
    return eraseCustomer(options, customerId, due);
  }
}

async function eraseCustomer(
  options: ErasureRunOptions,
  customerId: string,
  due: ErasureEntry[],
): Promise<CustomerErasure> {
  const { dataDir, log } = options;
  // A crash point's throw stands for a kill: marked, so no customer-level handling ever catches it.
  const crash = (at: Parameters<NonNullable<ErasureRunOptions['crashPoint']>>[0]) => {
    try {
      options.crashPoint?.(at);
    } catch (error) {
      throw Object.assign(new Error((error as Error).message), { name: SIMULATED_KILL });
    }
  };
  mkdirSync(join(dataDir, 'lake', CURATED_AREA), { recursive: true });
  const statePath = join(erasureDir(dataDir), `run-${customerId}.json`);
  let state: RunState;
  if (existsSync(statePath)) state = readRunState(statePath);
  else {
    state = {
      version: 1,
      customerId,
      requests: due.map((e) => e.message_id),
      users: due.map((e) => ({ userId: e.user_id!, cutoffMs: Date.parse(e.cutoff_at) })),
      linked: null,
      files: {},
    };
  }
  const entries = log
    .all()
    .filter((e) => e.customer_id === customerId && state.requests.includes(e.message_id));
  if (entries.length > 0 && entries.every((e) => e.status === 'done')) {
    // Killed after the audit was written: only the plan is left to remove.
    unlinkSync(statePath);
    return summary(customerId, entries);
  }
  const files = erasableFiles(dataDir, customerId);
  const duck = await openDuck();
  try {
    if (state.linked === null) {
      const matcher = new ErasureMatcher(customerId, state.users);
      for (const file of files) {
        options.onRead?.(sizeOf(join(dataDir, file.path)));
        if (file.place === 'events' || file.place === 'errors' || file.place === 'redriven')
          linkFromText(readLines(join(dataDir, file.path)), matcher);
        else if (file.place === 'curated')
          for (const row of await curatedRows(duck, join(dataDir, file.path), customerId)) matcher.link(row);
      }
      state.linked = matcher.linked();
      saveRunState(statePath, state);
      crash('linked');
    }
    const matcher = new ErasureMatcher(customerId, state.users, state.linked);
    let done = 0;
    for (const file of files) {
      await eraseFile(options, duck, file, matcher, state, statePath, crash);
      options.onProgress?.(customerId, ++done, files.length);
    }
    // Files a kill left half-finished and that are gone now (every line was the users'): finish their bookkeeping.
    for (const [path, progress] of Object.entries(state.files))
      if (progress.status !== 'done' && !existsSync(join(dataDir, path))) {
        finishQuarantine(
          dataDir,
          { place: progress.place, path, format: 'gzip-lines' },
          progress.keptIndexes,
        );
        progress.status = 'done';
      }
    saveRunState(statePath, state);
    writeErasedRows(dataDir, customerId, state, entries);
    let remaining = await countRemaining(dataDir, duck, customerId, matcher, options.onRead);
    // Rows that landed while the pass ran (a late retry of the user's messages), or that a compaction
    // merged since an earlier attempt into a partition this pass had done: every file is looked at
    // again, done or not — no marker hides them. Bounded: after AGAIN_ROUNDS the pass fails and its next
    // run starts with these rounds.
    for (let round = 0; remaining > 0 && round < AGAIN_ROUNDS; round++) {
      for (const file of erasableFiles(dataDir, customerId))
        await eraseFile(options, duck, file, matcher, state, statePath, crash, true);
      writeErasedRows(dataDir, customerId, state, entries);
      remaining = await countRemaining(dataDir, duck, customerId, matcher, options.onRead);
    }
    if (remaining > 0)
      throw new Error(
        `erase of ${customerId} left ${remaining} rows about the users after ${AGAIN_ROUNDS + 1} rounds; the pass will be run again`,
      );
    crash('verified');
    const totals = passTotals(Object.values(state.files));
    const linkedHashes = state.linked.map((l) => log.hash(customerId, l.userId)).sort();
    const updated = executedEntries(entries, totals, new Date(options.now()).toISOString(), linkedHashes);
    // The counts completeness subtracts, under a name the pass always gives them (a rerun rewrites the same file).
    const lines = updated.flatMap((entry) => erasedRowsLines(entry));
    if (lines.length > 0) {
      const key = join(dataDir, 'lake', erasedRowsKey(customerId, passName(state.requests)));
      mkdirSync(dirname(key), { recursive: true });
      writeFileAtomic(key, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    }
    log.replace(updated);
    crash('audited');
    unlinkSync(statePath);
    return summary(customerId, updated);
  } finally {
    duck.closeSync();
  }
}

async function eraseFile(
  options: ErasureRunOptions,
  duck: Duck,
  file: ErasableFile,
  matcher: ErasureMatcher,
  state: RunState,
  statePath: string,
  crash: NonNullable<ErasureRunOptions['crashPoint']>,
  /** A later round of the pass: a file done before is looked at again (rows may have landed in it since). */
  again = false,
): Promise<void> {
  const full = join(options.dataDir, file.path);
  const known = state.files[file.path];
  options.onRead?.(sizeOf(full));
  if (known?.status === 'done' && !again) return;
  // What an earlier round removed from this file stays counted when a later round removes more.
  const before = known?.status === 'done' ? known : undefined;
  if (known && !before) {
    // Killed while this file was being replaced: if it no longer holds the users' rows, it was.
    const still = await erase(duck, file, full, matcher, options.dataDir);
    if (still.rows === 0) {
      finishQuarantine(options.dataDir, file, known.keptIndexes);
      known.status = 'done';
      saveRunState(statePath, state);
      return;
    }
  }
  const result = await erase(duck, file, full, matcher, options.dataDir);
  if (result.rows === 0 && !result.always) return;
  const byDay = new Map(Object.entries(before?.byDay ?? {}).map(([day, c]) => [day, { ...c }]));
  for (const [day, counts] of result.byDay) {
    const sum = byDay.get(day) ?? { events: 0, quarantine: 0 };
    sum.events += counts.events;
    sum.quarantine += counts.quarantine;
    byDay.set(day, sum);
  }
  state.files[file.path] = {
    place: file.place,
    status: 'writing',
    rows: (before?.rows ?? 0) + result.rows,
    events: (before?.events ?? 0) + result.events,
    quarantine: (before?.quarantine ?? 0) + result.quarantine,
    // Completeness counts landed rows: the copies in errors/, redriven/ and damaged segments are not.
    byDay: file.place === 'events' || file.place === 'quarantine' ? Object.fromEntries(byDay) : {},
    ...(result.keptIndexes ? { keptIndexes: result.keptIndexes } : {}),
  };
  saveRunState(statePath, state);
  crash('file-intent');
  await result.write();
  crash('file-replaced');
  finishQuarantine(options.dataDir, file, result.keptIndexes);
  state.files[file.path]!.status = 'done';
  saveRunState(statePath, state);
}

interface Erased {
  rows: number;
  events: number;
  quarantine: number;
  byDay: Map<string, { events: number; quarantine: number }>;
  keptIndexes?: number[];
  /** Rewritten (deleted) even with no row found: a damaged object's unreadable part may hold some. */
  always?: boolean;
  write(): Promise<void>;
}

async function erase(
  duck: Duck,
  file: ErasableFile,
  full: string,
  matcher: ErasureMatcher,
  dataDir: string,
): Promise<Erased> {
  if (file.format === 'gzip-lines') {
    const erased = eraseFromText(readLines(full), matcher);
    const rows = erased.events + erased.quarantine;
    return {
      rows,
      events: erased.events,
      quarantine: erased.quarantine,
      byDay: erased.byDay,
      ...(file.place === 'quarantine' ? { keptIndexes: erased.keptIndexes } : {}),
      write: async () =>
        replaceFile(full, erased.text.length > 0 ? encodeLines(full, erased.text) : undefined),
    };
  }
  if (file.format === 'damaged') {
    // What can be read is counted; the object is deleted whole (its unreadable part cannot be checked).
    const erased = eraseFromText(readDamagedLines(full), matcher);
    return {
      rows: erased.events + erased.quarantine,
      events: erased.events,
      quarantine: erased.quarantine,
      byDay: new Map(),
      always: existsSync(full),
      write: async () => replaceFile(full, undefined),
    };
  }
  if (file.format === 'spool') {
    const erased = eraseFromSegment(readFileSync(full), matcher);
    return {
      rows: erased.events + erased.quarantine,
      events: erased.events,
      quarantine: erased.quarantine,
      byDay: erased.byDay,
      write: async () => replaceFile(full, erased.bytes.length > 0 ? erased.bytes : undefined),
    };
  }
  const ids =
    file.place === 'curated'
      ? (await curatedRows(duck, full, matcher.customerId))
          .filter((r) => matcher.matchesEvent(r))
          .map((r) => String(r.message_id))
      : await matchingScoreRows(duck, full, matcher, file.place);
  return {
    rows: ids.length,
    events: 0,
    quarantine: 0,
    byDay: new Map(),
    write: () => rewriteParquet(duck, full, file.place, ids, dataDir),
  };
}

/** Redrive names quarantine lines `<key>#<index>`: after a rewrite, its state follows the kept lines. */
function finishQuarantine(dataDir: string, file: ErasableFile, keptIndexes: number[] | undefined): void {
  if (file.place !== 'quarantine' || !keptIndexes) return;
  const statePath = join(dataDir, 'lake', 'redrive', 'quarantine-redriven.json');
  if (!existsSync(statePath)) return;
  const key = file.path.slice('lake/'.length);
  const done = JSON.parse(readFileSync(statePath, 'utf8')) as string[];
  const newIndex = new Map(keptIndexes.map((old, i) => [old, i]));
  const next = done.flatMap((id) => {
    const hash = id.lastIndexOf('#');
    if (id.slice(0, hash) !== key) return [id];
    const moved = newIndex.get(Number(id.slice(hash + 1)));
    return moved === undefined ? [] : [`${key}#${moved}`];
  });
  if (next.join('\n') !== done.join('\n')) writeFileAtomic(statePath, JSON.stringify(next));
}

type Duck = Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>> & {
  closeSync(): void;
};

async function openDuck(): Promise<Duck> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const close = connection.closeSync.bind(connection);
  return Object.assign(connection, {
    closeSync: () => {
      close();
      db.closeSync();
    },
  });
}

async function curatedRows(duck: Duck, path: string, customerId: string): Promise<Record<string, unknown>[]> {
  const result = await duck.runAndReadAll(
    `SELECT message_id, user_id, anonymous_id, message, CAST(received_at AS VARCHAR) AS received_at FROM read_parquet(${literal(path)})`,
  );
  return result.getRowObjects().map((r) => ({
    ...r,
    customer_id: customerId,
    // DuckDB prints timestamps without the zone; they are UTC.
    received_at: `${String(r.received_at).replace(' ', 'T')}Z`,
  }));
}

/** The persons of a scores file, or the members of an audience file, who are about the erased users. */
async function matchingScoreRows(
  duck: Duck,
  path: string,
  matcher: ErasureMatcher,
  place: ErasePlace,
): Promise<string[]> {
  // An audience member's user_id is the scored person (npm run audience).
  const columns = place === 'audiences' ? 'user_id AS person' : 'user_id, anonymous_id, person';
  const rows = (
    await duck.runAndReadAll(`SELECT ${columns} FROM read_parquet(${literal(path)})`)
  ).getRowObjects();
  return rows
    .filter((r) => matcher.matchesIds(r.user_id, r.anonymous_id, r.person))
    .map((r) => String(r.person));
}

/** A Parquet file rewritten without the rows (by messageId, or by person for scores), beside it then renamed. */
async function rewriteParquet(
  duck: Duck,
  path: string,
  place: ErasePlace,
  ids: string[],
  dataDir: string,
): Promise<void> {
  const column = place === 'curated' ? 'message_id' : place === 'audiences' ? 'user_id' : 'person';
  const staged = join(dataDir, 'tmp', `erase-${process.pid}-${Date.now()}.parquet`);
  mkdirSync(dirname(staged), { recursive: true });
  const list = ids.map((id) => literal(id)).join(', ');
  await duck.run(
    `COPY (SELECT * FROM read_parquet(${literal(path)}) WHERE ${column} NOT IN (${list})) TO ${literal(staged)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  renameSync(staged, path);
}

function replaceFile(path: string, bytes: Buffer | undefined): void {
  if (bytes === undefined) rmSync(path, { force: true });
  else writeFileAtomic(path, bytes);
}

/** The verification pass: rows about the users still anywhere (every place, read again from disk). */
async function countRemaining(
  dataDir: string,
  duck: Duck,
  customerId: string,
  matcher: ErasureMatcher,
  onRead: ErasureRunOptions['onRead'],
): Promise<number> {
  let remaining = 0;
  for (const file of erasableFiles(dataDir, customerId)) {
    onRead?.(sizeOf(join(dataDir, file.path)));
    remaining += (await erase(duck, file, join(dataDir, file.path), matcher, dataDir)).rows;
  }
  return remaining;
}

function summary(customerId: string, entries: ErasureEntry[]): CustomerErasure {
  const rows = zeroRows();
  let objects = 0;
  for (const entry of entries) {
    for (const place of ERASE_PLACES) rows[place] += entry.rows_removed?.[place] ?? 0;
    objects += entry.objects_rewritten ?? 0;
  }
  return {
    customerId,
    requests: entries.length,
    rowsRemoved: rows,
    objectsRewritten: objects,
    remainingAfter: 0,
  };
}

/** A pass's name: a digest of its requests' ids (the same requests, the same name). */
function passName(requests: readonly string[]): string {
  return createHash('sha256').update(requests.join('\n')).digest('hex').slice(0, 32);
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function readRunState(path: string): RunState {
  const result = v.safeParse(RunStateSchema, JSON.parse(readFileSync(path, 'utf8')));
  if (!result.success) throw new Error(`${path} is damaged: ${result.issues[0].message}`);
  return result.output;
}

function saveRunState(path: string, state: RunState): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, JSON.stringify(state));
}
