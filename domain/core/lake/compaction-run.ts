import { HIDE_SECONDS, stagingManifestKey, stagingRunPrefix } from '../../contract/curated-table';
import { DAY_PATTERN } from '../../contract/formats';
import { parseLandingKey } from '../../contract/lake-areas';
import { athenaMergeItem, athenaOptimizeItem, SENT_AT_DATED } from '../../contract/sql/curated-sql';
import { CUSTOMER_ID_PATTERN } from '../keys/tokens';
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
 */
export const MAX_OBJECTS_PER_RUN = 100_000;
const RECEIPTS = (runId: string) => `${stagingRunPrefix(runId)}_receipts.json`;
const ITEMS = (runId: string) => `${stagingRunPrefix(runId)}items.json`;
/** The customers whose rows more than one item merges: their messages leave the log at the run's end. */
const SPANNING = (runId: string) => `${stagingRunPrefix(runId)}_spanning.json`;
/** An item's statements customer by customer, read by its Map only when the item's MERGE fails. */
const ALONE = (runId: string, item: number) => `${stagingRunPrefix(runId)}alone/${item}.json`;

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
): Promise<{ runId: string; objects: number; customers: string[] }> {
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
  return { runId, objects: receipts.length, customers };
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
  queryExecutionId: string,
  files: RunFiles,
): Promise<{ itemsKey: string; items: number }> {
  const cells = (row: string) => row.split(',').map((cell) => cell.replace(/^"|"$/g, ''));
  const [header = '', ...rows] = (await files.queryResult(queryExecutionId)).trim().split('\n');
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
  const packed = packMergeItems(partitions);
  const itemsOf = new Map<string, number>();
  for (const item of packed) for (const c of item.customers) itemsOf.set(c, (itemsOf.get(c) ?? 0) + 1);
  const items = [];
  for (const [index, item] of packed.entries()) {
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
      commits: item.customers.filter((c) => itemsOf.get(c) === 1),
      aloneKey: ALONE(runId, index),
    });
  }
  await files.put(ITEMS(runId), JSON.stringify(items));
  await files.put(SPANNING(runId), JSON.stringify([...itemsOf].filter(([, n]) => n > 1).map(([c]) => c)));
  return { itemsKey: ITEMS(runId), items: items.length };
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
): Promise<{ removed: number }> {
  const receipts = await readReceipts(files, runId);
  return {
    removed: await removeAll(
      log,
      customers.flatMap((c) => receipts.byCustomer[c] ?? []),
    ),
  };
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
): Promise<{ removed: number; parked: string[] }> {
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
  await files.removePrefix(stagingRunPrefix(runId));
  return { removed, parked: [...parked] };
}
