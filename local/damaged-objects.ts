import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import * as v from 'valibot';
import { writeFileAtomic } from '../adapters/local/atomic-file';
import { areaOf, LAKE_AREAS, type LakeArea, SHARED_PARTITION_CUSTOMER } from '../domain/contract/lake-areas';
import {
  StoredLakeEventSchema,
  StoredLedgerEntrySchema,
  StoredQuarantineEntrySchema,
} from '../domain/contract/lake-records';
import { duckdbParquetProbe } from '../domain/contract/sql/duckdb-lake-sql';
import { wellFormedValue } from '../domain/core/common/unicode-text';
import { MAX_MESSAGE_DEPTH } from '../domain/core/messages/json-depth';

/**
 * A landed object a reader cannot read (a flipped byte in its gzip stream, a line that is not JSON or
 * holds text no reader accepts) is its customer's problem, not the lake's: it is moved aside to
 * `<lake>/_damaged/<its key>` and kept for inspection, its readable lines are landed again beside it as
 * `<name>-salvaged.gz`, and a line of `<lake>/_damaged/log.jsonl` records what was lost, by customer.
 * Lines of the shared `customer_id=_all` quarantine and ledger objects that cannot be read name no
 * customer: they are counted as `unattributed`. docs/operations.md, "A damaged landing object".
 *
 * The readers (compaction, query and completeness, erase, intent) read through DuckDB, which stops at
 * the first bad byte; they call `setAsideDamaged` when a read fails and try once more.
 */

export const DAMAGED_AREA = '_damaged';
const LOG_FILE = 'log.jsonl';
/** Who a lost line belonged to when the line itself is what was lost. */
const UNATTRIBUTED = 'unattributed';

const STORED_SCHEMAS = {
  events: StoredLakeEventSchema,
  quarantine: StoredQuarantineEntrySchema,
  ledger: StoredLedgerEntrySchema,
} as const;

const DamageSchema = v.object({
  key: v.string(),
  area: v.picklist(LAKE_AREAS),
  customer_id: v.string(),
  at: v.string(),
  /** Why the object could not be read as a whole. */
  reason: v.string(),
  lines_salvaged: v.number(),
  /** Lines that could not be read; a cut gzip stream loses an unknown number more (`stream_cut`). */
  lines_lost: v.number(),
  stream_cut: v.boolean(),
  /** Lost lines by customer: the object's customer, or `unattributed` in a shared object. */
  lost_by_customer: v.record(v.string(), v.number()),
  salvaged_key: v.nullable(v.string()),
});
export type Damage = v.InferOutput<typeof DamageSchema>;

/** What reading an object found: its readable lines, and what it could not read. */
interface Inspection {
  readable: string[];
  lost: number;
  streamCut: boolean;
  reason: string | undefined;
}

/**
 * Every line of a landed object that a reader accepts: JSON whose every string is Unicode, of the
 * object's area and (for a customer's own object) of its customer, fitting the area's schema. A gzip
 * stream that breaks is read up to the break.
 */
function inspectObject(bytes: Buffer, area: LakeArea, customerId: string | undefined): Inspection {
  let text: string;
  let streamCut = false;
  let reason: string | undefined;
  try {
    text = gunzipSync(bytes).toString('utf8');
  } catch (error) {
    streamCut = true;
    reason = `the gzip stream is damaged (${(error as Error).message})`;
    try {
      // What decompresses before the break: its last line may be cut short, and is then not JSON.
      text = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      text = '';
    }
  }
  const readable: string[] = [];
  let lost = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const read = readLine(line, area, customerId);
    if (read.line !== undefined) readable.push(read.line);
    else lost += 1;
    if (read.problem !== undefined) reason ??= read.problem;
  }
  return { readable, lost, streamCut, reason };
}

/**
 * A line as a reader may take it: as it is, repaired (a lone surrogate an earlier release wrote as an
 * escape becomes U+FFFD, as ingest makes it now — docs/segment-contract.md), or not at all; and what was
 * wrong with it.
 */
function readLine(
  line: string,
  area: LakeArea,
  customerId: string | undefined,
): { line?: string; problem?: string } {
  if (!line.isWellFormed()) return { problem: 'a line is not UTF-8 text' };
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { problem: 'a line is not JSON' };
  }
  if (record === null || typeof record !== 'object' || areaOf(record) !== area)
    return { problem: `a line is not a ${area} line` };
  const repaired = wellFormedValue(record, MAX_MESSAGE_DEPTH + 2);
  if (customerId !== undefined && (repaired.value as Record<string, unknown>).customer_id !== customerId)
    return { problem: 'a line names another customer' };
  if (!v.is(STORED_SCHEMAS[area], repaired.value))
    return { problem: `a line does not fit the ${area} schema` };
  if (repaired.replaced.length === 0) return { line };
  return {
    line: JSON.stringify(repaired.value),
    problem: 'a line holds a lone UTF-16 surrogate (repaired with U+FFFD in the salvaged copy)',
  };
}

/** The customer of a landing key (`<area>/customer_id=<id>/…`), undefined for the shared partition. */
function keyCustomer(key: string): string | undefined {
  const match = /^[a-z]+\/customer_id=([^/]+)\//.exec(key);
  const customer = match?.[1];
  return customer === undefined || customer === SHARED_PARTITION_CUSTOMER ? undefined : customer;
}

/**
 * Inspects the objects (keys relative to the lake root) and sets aside each damaged one; returns what
 * was set aside. Safe to run again after a kill anywhere: the salvaged object is written (whole) before
 * the damaged one is moved, and writing it again gives the same object.
 */
export function setAsideDamaged(
  lakeRoot: string,
  keys: readonly string[],
  now: () => Date = () => new Date(),
): Damage[] {
  const found: Damage[] = [];
  for (const key of keys) {
    const area = key.split('/')[0] as LakeArea;
    if (!(LAKE_AREAS as readonly string[]).includes(area)) continue;
    const path = join(lakeRoot, key);
    if (!existsSync(path)) continue;
    const customer = keyCustomer(key);
    const inspection = inspectObject(readFileSync(path), area, customer);
    if (inspection.reason === undefined) continue;
    let salvagedKey: string | null = null;
    if (inspection.readable.length > 0) {
      salvagedKey = join(dirname(key), `${basename(key, '.gz')}-salvaged.gz`);
      writeFileAtomic(join(lakeRoot, salvagedKey), gzipSync(`${inspection.readable.join('\n')}\n`));
    }
    const aside = join(lakeRoot, DAMAGED_AREA, key);
    mkdirSync(dirname(aside), { recursive: true });
    renameSync(path, aside);
    const damage: Damage = {
      key,
      area,
      customer_id: customer ?? UNATTRIBUTED,
      at: now().toISOString(),
      reason: inspection.reason,
      lines_salvaged: inspection.readable.length,
      lines_lost: inspection.lost,
      stream_cut: inspection.streamCut,
      lost_by_customer:
        inspection.lost > 0 || inspection.streamCut ? { [customer ?? UNATTRIBUTED]: inspection.lost } : {},
      salvaged_key: salvagedKey,
    };
    appendFileSync(join(lakeRoot, DAMAGED_AREA, LOG_FILE), `${JSON.stringify(damage)}\n`);
    found.push(damage);
  }
  return found;
}

/** What has been set aside so far (an unreadable log line is skipped: the objects themselves remain). */
export function damageLog(lakeRoot: string): Damage[] {
  const path = join(lakeRoot, DAMAGED_AREA, LOG_FILE);
  if (!existsSync(path)) return [];
  const out: Damage[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const parsed = v.safeParse(DamageSchema, JSON.parse(line));
      if (parsed.success) out.push(parsed.output);
    } catch {
      // a line cut by a kill mid-append
    }
  }
  return out;
}

/** One sentence per damaged object, for a command's summary. */
export function describeDamage(damage: Damage): string {
  const lost = `${damage.lines_lost} line${damage.lines_lost === 1 ? '' : 's'} lost${damage.stream_cut ? ' (and the rest of a cut gzip stream)' : ''}`;
  return `${damage.key} (customer ${damage.customer_id}): ${damage.reason}; ${damage.lines_salvaged} lines salvaged, ${lost}; kept in ${DAMAGED_AREA}/`;
}

/** Lines lost in damaged objects, summed by customer (`unattributed` for shared objects' unreadable lines). */
export function lostByCustomer(log: readonly Damage[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const damage of log)
    for (const [customer, lines] of Object.entries(damage.lost_by_customer))
      totals.set(customer, (totals.get(customer) ?? 0) + lines);
  return [...totals].sort(([a], [b]) => a.localeCompare(b));
}

/** Where compaction finds the customers whose curated partitions must be built again from the landing zone. */
const REBUILD_DIR = join('curated', '_state', 'rebuild');

/**
 * Curated partition files (full paths) a reader cannot read: each is moved to `<lake>/_damaged/<its
 * path>`, logged, and its customer marked for rebuilding (`curated/_state/rebuild/<customer>`): the next
 * compaction takes all of that customer's landing objects again (merging is idempotent), so the
 * partition comes back whole from the landing zone, which holds every row it came from. A file is
 * damaged when `duck` (any DuckDB connection) cannot read it through (duckdbParquetProbe); returns
 * what was set aside.
 */
export async function setAsideDamagedCurated(
  lakeRoot: string,
  files: readonly string[],
  duck: { run(sql: string): Promise<unknown> },
  now: () => Date = () => new Date(),
): Promise<Damage[]> {
  const readsThrough = async (file: string) => {
    try {
      await duck.run(duckdbParquetProbe(file));
      return true;
    } catch {
      return false;
    }
  };
  const found: Damage[] = [];
  for (const file of files) {
    if (!existsSync(file) || (await readsThrough(file))) continue;
    const key = relative(lakeRoot, file);
    const customer = /customer_id=([^/]+)\//.exec(key)?.[1] ?? UNATTRIBUTED;
    const marker = join(lakeRoot, REBUILD_DIR, customer);
    mkdirSync(dirname(marker), { recursive: true });
    writeFileAtomic(marker, `${JSON.stringify({ key, at: now().toISOString() })}\n`);
    const aside = join(lakeRoot, DAMAGED_AREA, key);
    mkdirSync(dirname(aside), { recursive: true });
    renameSync(file, aside);
    const damage: Damage = {
      key,
      area: 'events',
      customer_id: customer,
      at: now().toISOString(),
      reason:
        'a curated partition file cannot be read; the next compaction builds it again from the landing zone',
      lines_salvaged: 0,
      lines_lost: 0,
      stream_cut: false,
      lost_by_customer: {},
      salvaged_key: null,
    };
    appendFileSync(join(lakeRoot, DAMAGED_AREA, LOG_FILE), `${JSON.stringify(damage)}\n`);
    found.push(damage);
  }
  return found;
}

/** The customers marked for rebuilding, and how to clear a mark once its objects are untaken. */
export function rebuildMarks(lakeRoot: string): { customers: string[]; clear(customer: string): void } {
  const dir = join(lakeRoot, REBUILD_DIR);
  return {
    customers: existsSync(dir)
      ? readdirSync(dir)
          .filter((n) => !n.endsWith('.tmp'))
          .sort()
      : [],
    clear: (customer) => rmSync(join(dir, customer), { force: true }),
  };
}
