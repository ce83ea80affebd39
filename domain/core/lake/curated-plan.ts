import { type DayRows, eventMonth, type MergeItem } from '../../contract/curated-table';
import { ATHENA_RULES } from '../../contract/sql/athena-rules';

/**
 * Rows one MERGE takes at most. Athena runs a DML query for at most 30 minutes; a MERGE of this size
 * (a Replay's day of 200 customers) is far inside it at the rates Athena shows for Iceberg merges. The
 * arithmetic is in docs/lake.md ("Keeping up").
 *
 * @internal
 */
export const MAX_ROWS_PER_MERGE = 20_000_000;

/**
 * Event days one MERGE names at most. Each day is listed twice in the statement (the rows it takes, the
 * target it reads), ~35 bytes each: 500 days keep a MERGE near 40 KB, within a quarter of Athena's
 * 262,144-byte query string (ATHENA_RULES.queryStringBytes; test/contract/athena-rules.test.ts sends
 * an item at this limit).
 *
 * @internal
 */
export const MAX_DAYS_PER_MERGE = 500;

/**
 * Packs the event days a run touches into MERGE statements, each writing at most 100 partitions
 * (Athena's limit per statement; a partition is a customer's month), naming at most
 * `MAX_DAYS_PER_MERGE` days and taking at most `maxRows` rows, in customer then date order so one
 * customer's months stay together. Pure; pinned by test/domain/core/lake/curated-plan.test.ts.
 *
 * @example packMergeItems([{ customerId: 'a', eventDate: '2026-11-28', rows: 10 }]) // one item, one day
 */
export function packMergeItems(
  days: readonly DayRows[],
  maxPartitions: number = ATHENA_RULES.partitionsPerStatement.limit,
  maxRows: number = MAX_ROWS_PER_MERGE,
  maxDays: number = MAX_DAYS_PER_MERGE,
): MergeItem[] {
  // Rows dated by `sentAt` are merged by id in items of their own (rare: Segment always sends a
  // `timestamp`), so the common items keep reading only their own days.
  const limits = { maxPartitions, maxRows, maxDays };
  return [
    ...packSorted(
      days.filter((p) => !p.byId),
      limits,
    ),
    ...packSorted(
      days.filter((p) => p.byId),
      limits,
    ).map((item) => ({ ...item, byId: true })),
  ];
}

function packSorted(
  days: readonly DayRows[],
  limits: { maxPartitions: number; maxRows: number; maxDays: number },
): MergeItem[] {
  const sorted = [...days].sort(
    (a, b) => a.customerId.localeCompare(b.customerId) || a.eventDate.localeCompare(b.eventDate),
  );
  const items: MergeItem[] = [];
  let current: MergeItem | undefined;
  let months = new Set<string>();
  for (const p of sorted) {
    const month = `${p.customerId}\u0000${eventMonth(p.eventDate)}`;
    const newPartition = !months.has(month);
    if (
      !current ||
      (newPartition && months.size >= limits.maxPartitions) ||
      current.days.length >= limits.maxDays ||
      current.rows + p.rows > limits.maxRows
    ) {
      current = { customers: [], days: [], rows: 0 };
      months = new Set();
      items.push(current);
    }
    current.days.push({ customerId: p.customerId, eventDate: p.eventDate });
    current.rows += p.rows;
    months.add(month);
    if (current.customers.at(-1) !== p.customerId) current.customers.push(p.customerId);
  }
  return items;
}
