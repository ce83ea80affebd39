import * as v from 'valibot';
import {
  BACKLOG_PREFIX,
  type BacklogBatch,
  BacklogBatchSchema,
  type BacklogDone,
  BacklogDoneSchema,
  backlogBatchKey,
} from '../../contract/curated-backlog';
import {
  type DayRows,
  HIDE_SECONDS,
  stagingManifestKey,
  stagingRunPrefix,
} from '../../contract/curated-table';
import { DAY_PATTERN } from '../../contract/formats';
import { IDENTITY_BACKFILL_MARKER, IDENTITY_PENDING_PREFIX } from '../../contract/identity';
import { parseLandingKey } from '../../contract/lake-areas';
import { athenaMergeItem, athenaOptimizeItem, SENT_AT_DATED } from '../../contract/sql/curated-sql';
import {
  athenaBackfillIdentityFacts,
  athenaMergeRunIdentities,
  type IdentityFactsScope,
} from '../../contract/sql/identity-sql';
import { CUSTOMER_ID_PATTERN } from '../keys/tokens';
import { BACKLOG_LANE, chooseBacklog, isBacklog, pendingOf } from './backlog-lane';
import type { ObjectLog, RunFiles } from './compaction-ports';
import { packMergeItems } from './curated-plan';

export type { ObjectLog, RunFiles };

/**
 * The log holds as many messages in flight (received, not yet deleted) as it allows: SQS answers a
 * receive with `OverLimit` at about 120,000 for a standard queue
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html). The
 * adapter says so with this error, and a run stops receiving and stages what it has.
 */
export class ObjectLogFull extends Error {
  override readonly name = 'ObjectLogFull';
}

/**
 * Objects one run takes at most, below SQS's ~120,000 messages in flight for a standard queue (quoted
 * in compaction-ports.ts): a run that took more would fail to receive, leave what it took hidden for
 * HIDE_SECONDS, and the next runs would find the log full — a livelock. 100,000 leaves 20,000 for
 * messages a failed run left hidden. Live traffic of 2,000 customers is ~24,000 objects an hour
 * (Firehose flushes each partition every 300 s), so a run takes four hours of it; the rest waits in the
 * log for the next run. Draining 100,000 takes ~10,000 receives (~2 min).
 *
 * @internal
 */
export const MAX_OBJECTS_PER_RUN = 100_000;
const RECEIPTS = (runId: string) => `${stagingRunPrefix(runId)}_receipts.json`;
const ITEMS = (runId: string) => `${stagingRunPrefix(runId)}items.json`;
/** The customers whose rows more than one item merges: their messages leave the log at the run's end. */
const SPANNING = (runId: string) => `${stagingRunPrefix(runId)}_spanning.json`;
/** An item's statements customer by customer, read by its Map only when the item's MERGE fails. */
const ALONE = (runId: string, item: number) => `${stagingRunPrefix(runId)}alone/${item}.json`;
/** A committed backlog item's note: read by the run's finish, which takes its days off the batches. */
const DONE = (runId: string) => `${stagingRunPrefix(runId)}done/`;
/** The run's live customers and their earliest staged day: whose identity facts the run merges. */
const LIVE = (runId: string) => `${stagingRunPrefix(runId)}_live.json`;
/** A run's identity facts until they are merged: kept if its statement fails, for a later run. */
const PENDING = (runId: string) => `${IDENTITY_PENDING_PREFIX}${runId}.json`;

/**
 * A run's receipts, by customer, so that each customer's messages can leave the log as soon as its
 * rows are merged (commitItem) and a customer whose MERGE fails keeps its own (parked). `other`: the
 * messages of objects outside events/, taken and dropped. The last release wrote a flat list: read as
 * `other` (every message leaves at the run's end, as it did).
 */
interface Receipts {
  byCustomer: Record<string, string[]>;
  other: string[];
}

async function readReceipts(files: RunFiles, runId: string): Promise<Receipts> {
  const stored = JSON.parse(await files.get(RECEIPTS(runId))) as Receipts | string[];
  return Array.isArray(stored) ? { byCustomer: {}, other: stored } : stored;
}

async function removeAll(log: ObjectLog, receipts: readonly string[]): Promise<number> {
  for (let i = 0; i < receipts.length; i += 10) await log.remove(receipts.slice(i, i + 10));
  return receipts.length;
}

/**
 * Step 1 of a compaction run: takes up to MAX_OBJECTS_PER_RUN landing objects from the log and writes,
 * per customer, the symlink manifest the staging table reads them through. Keys outside events/ (a
 * notification for another prefix) are taken and dropped. Returns the customers, in order.
 */
export async function stageRun(
  runId: string,
  bucket: string,
  log: ObjectLog,
  files: RunFiles,
): Promise<{ runId: string; objects: number; customers: string[]; backlogBatches: number }> {
  const receipts: string[] = [];
  const byCustomer = new Map<string, string[]>();
  const stored: Receipts = { byCustomer: {}, other: [] };
  let empty = 0;
  // Short polling can answer empty while messages remain: two empty answers in a row end the drain.
  while (receipts.length < MAX_OBJECTS_PER_RUN && empty < 2) {
    let batch: Awaited<ReturnType<ObjectLog['receive']>>;
    try {
      batch = await log.receive(Math.min(10, MAX_OBJECTS_PER_RUN - receipts.length), HIDE_SECONDS);
    } catch (error) {
      // At the log's in-flight limit (messages an earlier run left hidden): stage what this run has.
      if (error instanceof ObjectLogFull) break;
      throw error;
    }
    empty = batch.length === 0 ? empty + 1 : 0;
    for (const { key, receipt } of batch) {
      receipts.push(receipt);
      const landing = key === undefined ? undefined : parseLandingKey(key);
      if (landing?.area !== 'events' || !CUSTOMER_ID_PATTERN.test(landing.customerId)) {
        stored.other.push(receipt);
        continue;
      }
      const mine = stored.byCustomer[landing.customerId];
      if (mine) mine.push(receipt);
      else stored.byCustomer[landing.customerId] = [receipt];
      const objects = byCustomer.get(landing.customerId) ?? [];
      objects.push(`s3://${bucket}/${landing.key}`);
      byCustomer.set(landing.customerId, objects);
    }
  }
  const customers = [...byCustomer.keys()].sort();
  for (const customer of customers)
    await files.put(
      stagingManifestKey(runId, customer),
      `${[...new Set(byCustomer.get(customer))].join('\n')}\n`,
    );
  await files.put(RECEIPTS(runId), JSON.stringify(stored));
  // A run with no new object still merges the backlog's next share.
  const backlogBatches = (await files.list(BACKLOG_PREFIX)).length;
  return { runId, objects: receipts.length, customers, backlogBatches };
}

/**
 * Step 2: from the staged rows per partition (the Athena query's CSV), the run's MERGE statements, each
 * within 100 partitions, with the OPTIMIZE of the same partitions; written for the Distributed Map.
 * Each item also names, for the case its MERGE fails, a file of the same work customer by customer
 * (`aloneKey`: one customer's bad data then fails that customer alone — a file, not the item itself,
 * because 100 customers' own statements come to ~450 KB, past Step Functions' 256 KiB per state's
 * input), and the customers whose every row of the run it merges (`commits`: their messages leave the
 * log once it committed).
 */
export async function packRun(
  runId: string,
  database: string,
  /** The plan query's execution; none when the run staged nothing new (only the backlog to merge). */
  queryExecutionId: string | undefined,
  files: RunFiles,
  log: ObjectLog,
  now: number,
) {
  const cells = (row: string) => row.split(',').map((cell) => cell.replace(/^"|"$/g, ''));
  const result = queryExecutionId
    ? await files.queryResult(queryExecutionId)
    : ['customer_id', 'event_date', 'row_count', SENT_AT_DATED].join(',');
  const [header = '', ...rows] = result.trim().split('\n');
  // By name: the plan query's columns (athenaStagedPartitions), whatever their order.
  const names = cells(header);
  const at = (name: string) => names.indexOf(name);
  const expected = ['customer_id', 'event_date', 'row_count', SENT_AT_DATED];
  if (expected.some((name) => at(name) < 0))
    throw new Error(
      `the plan query's result has columns ${names.join(', ')}; expected ${expected.join(', ')}`,
    );
  const partitions = rows
    .filter((row) => row.trim())
    .map((row) => {
      const [customerId, eventDate, count, sentAtDated] = expected.map((name) => cells(row)[at(name)]);
      return {
        customerId: customerId!,
        eventDate: eventDate!,
        rows: Number(count),
        byId: sentAtDated === 'true',
        flag: sentAtDated,
      };
    });
  // Every staged row has an event date (its own, else its landing dt): anything else is a broken
  // result, and merging the rest would ack objects whose rows were never curated.
  const bad = partitions.find(
    (p) =>
      !DAY_PATTERN.test(p.eventDate) ||
      !CUSTOMER_ID_PATTERN.test(p.customerId) ||
      !(p.rows > 0) ||
      (p.flag !== 'true' && p.flag !== 'false'),
  );
  if (bad) throw new Error(`unexpected staged partition row: ${JSON.stringify(bad).slice(0, 200)}`);
  // The lanes: a customer with a backlog, or whose run brings more than live traffic does, has its
  // objects and days set aside in a batch (and its messages leave the log: the batch is durable); the
  // live customers are merged whole, the backlogs a bounded share each (backlog-lane.ts).
  const byCustomer = new Map<string, DayRows[]>();
  for (const p of partitions) {
    const days = byCustomer.get(p.customerId);
    if (days) days.push(p);
    else byCustomer.set(p.customerId, [p]);
  }
  const { batches, damaged } = await readBacklog(files);
  const waiting = new Set(batches.map((b) => b.batch.customerId));
  const setAside: string[] = [];
  let receipts: Receipts | undefined;
  for (const [customerId, days] of byCustomer) {
    if (!waiting.has(customerId) && !isBacklog(days)) continue;
    const manifest = await files.get(stagingManifestKey(runId, customerId));
    const batch: BacklogBatch = {
      version: 1,
      customerId,
      createdAt: new Date(now).toISOString(),
      objects: manifest.split('\n').filter((line) => line.length > 0),
      pending: pendingOf(days),
    };
    const key = backlogBatchKey(customerId, runId);
    await files.put(key, JSON.stringify(batch));
    batches.push({ key, batch });
    receipts ??= await readReceipts(files, runId);
    await removeAll(log, receipts.byCustomer[customerId] ?? []);
    setAside.push(customerId);
  }
  const backlogCustomers = new Set([...waiting, ...setAside]);
  const live = partitions.filter((p) => !backlogCustomers.has(p.customerId));
  const packed = packMergeItems(live);
  await files.put(
    LIVE(runId),
    JSON.stringify({
      customers: [...new Set(live.map((p) => p.customerId))],
      since: live.map((p) => p.eventDate).sort()[0] ?? null,
    }),
  );
  const itemsOf = new Map<string, number>();
  for (const item of packed) for (const c of item.customers) itemsOf.set(c, (itemsOf.get(c) ?? 0) + 1);
  const chosen = chooseBacklog(batches);
  // The customer's MERGEs this run read every object of its batches (the staging table reads by run
  // and customer).
  for (const choice of chosen)
    await files.put(stagingManifestKey(runId, choice.customerId), `${choice.objects.join('\n')}\n`);
  const work = [
    ...packed.map((item) => ({
      item,
      commits: item.customers.filter((c) => itemsOf.get(c) === 1),
      backlog: null,
    })),
    ...chosen.flatMap((choice) =>
      choice.items.map((item) => ({
        item,
        commits: [] as string[],
        backlog: {
          customerId: choice.customerId,
          days: item.days.map((d) => d.eventDate),
          batches: choice.batches,
        } satisfies BacklogDone,
      })),
    ),
  ];
  const notAfter = now + BACKLOG_LANE.windowMs;
  const items = [];
  for (const [index, { item, commits, backlog }] of work.entries()) {
    const alone = item.customers.map((customerId) => {
      const own = {
        ...item,
        customers: [customerId],
        days: item.days.filter((d) => d.customerId === customerId),
      };
      return {
        customerId,
        merge: athenaMergeItem(database, runId, own),
        optimize: athenaOptimizeItem(database, own),
      };
    });
    await files.put(ALONE(runId, index), JSON.stringify(alone));
    items.push({
      merge: athenaMergeItem(database, runId, item),
      optimize: athenaOptimizeItem(database, item),
      commits,
      aloneKey: ALONE(runId, index),
      // A backlog item names its days for the finish, and is not started past the lane's window.
      backlog,
      notAfter: backlog ? notAfter : null,
    });
  }
  await files.put(ITEMS(runId), JSON.stringify(items));
  await files.put(SPANNING(runId), JSON.stringify([...itemsOf].filter(([, n]) => n > 1).map(([c]) => c)));
  return {
    itemsKey: ITEMS(runId),
    items: items.length,
    live: packed.length,
    backlog: items.length - packed.length,
    setAside,
    damagedBatches: damaged,
  };
}

/** Every batch of the backlog lane; a batch that cannot be read is named and left, not fatal to others. */
async function readBacklog(
  files: RunFiles,
): Promise<{ batches: { key: string; batch: BacklogBatch }[]; damaged: string[] }> {
  const batches: { key: string; batch: BacklogBatch }[] = [];
  const damaged: string[] = [];
  for (const key of await files.list(BACKLOG_PREFIX)) {
    try {
      batches.push({ key, batch: v.parse(BacklogBatchSchema, JSON.parse(await files.get(key))) });
    } catch {
      damaged.push(key);
    }
  }
  return { batches, damaged };
}

/**
 * After an item's MERGE and OPTIMIZE committed: the messages of the customers it merged whole leave the
 * log at once, so a run that times out later keeps that progress (the next run does not merge them
 * again).
 */
export async function commitItem(
  runId: string,
  customers: readonly string[],
  log: ObjectLog,
  files: RunFiles,
  backlog?: BacklogDone | null,
): Promise<{ removed: number }> {
  if (backlog)
    await files.put(
      `${DONE(runId)}${backlog.customerId}/${backlog.days[0]}_${backlog.days.length}.json`,
      JSON.stringify(backlog),
    );
  if (customers.length === 0) return { removed: 0 };
  const receipts = await readReceipts(files, runId);
  return {
    removed: await removeAll(
      log,
      customers.flatMap((c) => receipts.byCustomer[c] ?? []),
    ),
  };
}

/**
 * After every item, the run's identity facts (identity-sql.ts) in one statement — one writer of the
 * facts table at a time, so no two MERGEs of a run conflict on its files: the live customers' staged
 * rows, and the curated rows of the days the run's backlog items merged. Kept as a pending file first
 * (the same scope read from the curated table), removed once merged: a statement that fails leaves it
 * for the next run's IdentityFactsDue. None when the run merged nothing.
 */
export async function planRunIdentities(
  runId: string,
  database: string,
  files: RunFiles,
): Promise<{ sql: string | null; pendingKey: string | null }> {
  let live: { customers: string[]; since: string | null } = { customers: [], since: null };
  try {
    live = JSON.parse(await files.get(LIVE(runId))) as typeof live;
  } catch {
    // A backlog-only run, or a run the last release packed: no live customers.
  }
  const ranges: IdentityFactsScope['ranges'] = [];
  for (const key of await files.list(DONE(runId))) {
    const note = v.parse(BacklogDoneSchema, JSON.parse(await files.get(key)));
    const days = [...note.days].sort();
    if (days.length > 0) ranges.push({ customerId: note.customerId, from: days[0]!, to: days.at(-1)! });
  }
  if (live.customers.length === 0 && ranges.length === 0) return { sql: null, pendingKey: null };
  const pending: IdentityFactsScope = {
    customers: live.since ? live.customers.map((customerId) => ({ customerId, since: live.since! })) : [],
    ranges,
  };
  await files.put(PENDING(runId), JSON.stringify(pending));
  return {
    sql: athenaMergeRunIdentities(database, runId, live.customers, ranges),
    pendingKey: PENDING(runId),
  };
}

/**
 * At a run's start: whether identity facts are due, and the statement. The whole curated table once
 * (a lake from before the facts table: no marker yet), else the scopes earlier runs could not merge
 * (their pending files), read from the curated table.
 */
export async function identityFactsDue(
  database: string,
  files: RunFiles,
): Promise<{ due: boolean; sql?: string; whole?: boolean; pendingKeys?: string[] }> {
  if ((await files.list(IDENTITY_BACKFILL_MARKER)).length === 0)
    return { due: true, whole: true, sql: athenaBackfillIdentityFacts(database), pendingKeys: [] };
  const pendingKeys = (await files.list(IDENTITY_PENDING_PREFIX)).sort().slice(0, MAX_PENDING_SCOPES);
  if (pendingKeys.length === 0) return { due: false };
  const scope: IdentityFactsScope = { customers: [], ranges: [] };
  for (const key of pendingKeys) {
    try {
      const one = JSON.parse(await files.get(key)) as IdentityFactsScope;
      scope.customers.push(...one.customers);
      scope.ranges.push(...one.ranges);
    } catch {
      // A damaged pending file: the whole table instead, once (the facts fold, so nothing is counted twice).
      return { due: true, whole: true, sql: athenaBackfillIdentityFacts(database), pendingKeys };
    }
  }
  return { due: true, whole: false, sql: athenaBackfillIdentityFacts(database, scope), pendingKeys };
}

/**
 * Pending runs folded into one catch-up statement at most (a day of hourly runs); the rest wait for the
 * next run. The statement names each customer once whatever the runs (identity-sql.ts, curatedScope):
 * for 2,000 customers, under a quarter of the 262,144-byte query string at 20-character ids and under
 * the whole at the longest (test/domain/contract/sql/identity-sql.test.ts builds both).
 */
const MAX_PENDING_SCOPES = 24;

/** After a backfill or a run's facts merged: the marker (a whole-table backfill), the pending files gone. */
export async function markIdentityFacts(
  files: RunFiles,
  done: { whole: boolean; pendingKeys: readonly string[]; runId: string; at: string },
): Promise<{ removed: number }> {
  if (done.whole)
    await files.put(IDENTITY_BACKFILL_MARKER, JSON.stringify({ runId: done.runId, at: done.at }));
  for (const key of done.pendingKeys) await files.removePrefix(key);
  return { removed: done.pendingKeys.length };
}

/**
 * Step 3, after every item: the messages not already removed by their item — those of customers several
 * items merged, and those outside events/ — leave the log, except a parked customer's (one whose MERGE
 * failed even alone: its objects come back after HIDE_SECONDS, the run is failed naming it); the
 * run's staging is removed.
 */
export async function finishRun(
  runId: string,
  log: ObjectLog,
  files: RunFiles,
  parked: readonly string[] = [],
): Promise<{ removed: number; parked: string[]; backlogDaysMerged: number }> {
  const receipts = await readReceipts(files, runId);
  // None when nothing was staged (no pack step); a run the last release staged has its receipts in
  // `other`, all removed here as they were.
  // If it cannot be read, those customers' messages stay: they come back and merge again (no change).
  let spanning: string[] = [];
  try {
    spanning = JSON.parse(await files.get(SPANNING(runId))) as string[];
  } catch {
    spanning = [];
  }
  const leaving = [
    ...receipts.other,
    ...spanning.filter((c) => !parked.includes(c)).flatMap((c) => receipts.byCustomer[c] ?? []),
  ];
  const removed = await removeAll(log, leaving);
  const backlogDaysMerged = await takeOffBacklog(runId, files);
  await files.removePrefix(stagingRunPrefix(runId));
  return { removed, parked: [...parked], backlogDaysMerged };
}

/**
 * The days the run's backlog items committed leave their batches; a batch with nothing pending goes.
 * Run once, by the finish, so that no two items rewrite one batch at once.
 */
async function takeOffBacklog(runId: string, files: RunFiles): Promise<number> {
  const done = new Map<string, Set<string>>();
  for (const key of await files.list(DONE(runId))) {
    const note = v.parse(BacklogDoneSchema, JSON.parse(await files.get(key)));
    for (const batch of note.batches) {
      const days = done.get(batch) ?? new Set<string>();
      for (const day of note.days) days.add(day);
      done.set(batch, days);
    }
  }
  let merged = 0;
  for (const [key, days] of done) {
    let batch: BacklogBatch;
    try {
      batch = v.parse(BacklogBatchSchema, JSON.parse(await files.get(key)));
    } catch {
      continue; // gone, or damaged: its days are merged again at worst (no change).
    }
    const pending = batch.pending.filter((d) => !days.has(d.eventDate));
    merged += batch.pending.length - pending.length;
    if (pending.length === 0) await files.removePrefix(key);
    else await files.put(key, JSON.stringify({ ...batch, pending }));
  }
  return merged;
}
