import type { BacklogBatch, BacklogDay } from '../../contract/curated-backlog';
import type { DayRows, MergeItem } from '../../contract/curated-table';
import { ATHENA_RULES } from '../../contract/sql/athena-rules';
import { packMergeItems } from './curated-plan';

/**
 * MERGEs a run has going at once. Athena allows 20 active DML queries at once per account by default
 * (ATHENA_RULES.dmlConcurrency, with its doc link); four leave the rest to analysts and to the other work
 * of this stack. Runs never overlap each other nor an erase pass (the lease), so this is the job's whole
 * share; the synthesized Map's MaxConcurrency is held to it (test/domain/core/lake/backlog-lane.test.ts).
 */
export const MERGE_CONCURRENCY = 4;

/**
 * The two lanes of a compaction run on AWS (docs/lake.md, "A backlog beside live traffic"). Every run
 * merges its live customers first, all of them; then, for at most `windowMs` after packing, the
 * backlogs — at most `itemsPerCustomer` MERGEs of each, oldest backlog first, `itemsPerRun` in all — so
 * that a Replay never holds the lease past the next hourly run, and live customers' curated data stays
 * within two hours. Figures: `assumedMergeMinutes` is an assumption (Athena's speed cannot be measured
 * here); the window is what makes the run end in time whatever a MERGE takes.
 */
export const BACKLOG_LANE = {
  /** A customer whose run brings more event days or rows than this goes to the backlog lane. */
  liveMaxDays: 31,
  liveMaxRows: 5_000_000,
  itemsPerRun: 32,
  itemsPerCustomer: 4,
  /** Backlog MERGEs start only this long after the run packed (the run's 55 minutes, less one MERGE). */
  windowMs: 40 * 60_000,
  assumedMergeMinutes: 5,
} as const;

/** Whether one customer's staged days in a run are more than live traffic brings: a backlog. */
export function isBacklog(days: readonly Pick<DayRows, 'eventDate' | 'rows'>[]): boolean {
  const distinct = new Set(days.map((d) => d.eventDate)).size;
  const rows = days.reduce((sum, d) => sum + d.rows, 0);
  return distinct > BACKLOG_LANE.liveMaxDays || rows > BACKLOG_LANE.liveMaxRows;
}

export interface BacklogChoice {
  customerId: string;
  /** Its batches' keys (every one: the MERGE reads all their objects), and those objects. */
  batches: string[];
  objects: string[];
  /** The MERGEs this run takes, each of this customer alone, its oldest days first. */
  items: MergeItem[];
}

/**
 * The backlog MERGEs of a run: each customer's pending days (all its batches together) packed as any
 * MERGE is, at most `itemsPerCustomer` of them, customers in the order of their oldest batch, until
 * `itemsPerRun`. Pure.
 */
export function chooseBacklog(
  batches: readonly { key: string; batch: BacklogBatch }[],
  limits: { itemsPerRun: number; itemsPerCustomer: number } = BACKLOG_LANE,
): BacklogChoice[] {
  const byCustomer = new Map<
    string,
    { oldest: string; keys: string[]; objects: Set<string>; days: Map<string, BacklogDay> }
  >();
  for (const { key, batch } of batches) {
    const c = byCustomer.get(batch.customerId) ?? {
      oldest: batch.createdAt,
      keys: [],
      objects: new Set<string>(),
      days: new Map<string, BacklogDay>(),
    };
    if (batch.createdAt < c.oldest) c.oldest = batch.createdAt;
    c.keys.push(key);
    for (const o of batch.objects) c.objects.add(o);
    for (const d of batch.pending) {
      const id = `${d.eventDate}/${d.byId}`;
      const known = c.days.get(id);
      c.days.set(id, known ? { ...known, rows: known.rows + d.rows } : { ...d });
    }
    byCustomer.set(batch.customerId, c);
  }
  const order = [...byCustomer].sort(
    ([a, x], [b, y]) => x.oldest.localeCompare(y.oldest) || a.localeCompare(b),
  );
  const chosen: BacklogChoice[] = [];
  let budget = limits.itemsPerRun;
  for (const [customerId, c] of order) {
    if (budget <= 0) break;
    const days = [...c.days.values()]
      .filter((d) => d.rows > 0)
      .sort((a, b) => a.eventDate.localeCompare(b.eventDate))
      .map((d) => ({ customerId, eventDate: d.eventDate, rows: d.rows, byId: d.byId }));
    const items = packMergeItems(days).slice(0, Math.min(limits.itemsPerCustomer, budget));
    if (items.length === 0) continue;
    budget -= items.length;
    chosen.push({ customerId, batches: c.keys.sort(), objects: [...c.objects].sort(), items });
  }
  return chosen;
}

/**
 * How long a backlog takes to drain beside live traffic, hourly runs, at the lane's figures: every run
 * merges its live customers' MERGEs first (one per 100 of them), and backlog MERGEs in the time left of
 * the window. `npm run replay-sim` prints it for its scenario (docs/lake.md quotes one); pinned by
 * test/domain/core/lake/backlog-lane.test.ts.
 */
export function backlogDrain(input: {
  customers: number;
  years: number;
  eventsPerDay: number;
  liveCustomers: number;
}): { items: number; itemsPerHour: number; hours: number } {
  const days = Array.from({ length: Math.round(input.years * 365) }, (_, i) => ({
    customerId: 'replay',
    eventDate: new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
    rows: input.eventsPerDay,
  }));
  const items = input.customers * packMergeItems(days).length;
  const liveItems = Math.ceil(input.liveCustomers / ATHENA_RULES.partitionsPerStatement.limit);
  const slotMinutes = MERGE_CONCURRENCY * (BACKLOG_LANE.windowMs / 60_000);
  const left = Math.max(0, slotMinutes - liveItems * BACKLOG_LANE.assumedMergeMinutes);
  const itemsPerHour = Math.min(
    BACKLOG_LANE.itemsPerRun,
    Math.floor(left / BACKLOG_LANE.assumedMergeMinutes),
  );
  return { items, itemsPerHour, hours: itemsPerHour > 0 ? Math.ceil(items / itemsPerHour) : Infinity };
}

/** One customer's staged days of a run, as a batch's pending days. */
export function pendingOf(days: readonly DayRows[]): BacklogDay[] {
  return days.map((d) => ({ eventDate: d.eventDate, rows: d.rows, byId: d.byId === true }));
}
