import type { MergeItem, PartitionRows } from '../../contract/curated-table';
import { ATHENA_RULES } from '../../contract/sql/athena-rules';

/**
 * Rows one MERGE takes at most. Athena runs a DML query for at most 30 minutes; a MERGE of this size
 * (a Replay's day of 200 customers) is far inside it at the rates Athena shows for Iceberg merges. The
 * arithmetic is in docs/lake.md ("Keeping up").
 */
export const MAX_ROWS_PER_MERGE = 20_000_000;

/**
 * Packs the partitions a run touches into MERGE statements, each writing at most 100 partitions
 * (Athena's limit per statement) and `maxRows` rows, in customer then date order so one customer's
 * partitions stay together. Pure; pinned by test/core/curated-plan.test.ts.
 *
 * @example packMergeItems([{ customerId: 'a', eventDate: '2026-11-28', rows: 10 }]) // one item, one partition
 */
export function packMergeItems(
  partitions: readonly PartitionRows[],
  maxPartitions: number = ATHENA_RULES.partitionsPerStatement.limit,
  maxRows: number = MAX_ROWS_PER_MERGE,
): MergeItem[] {
  // Rows dated by `sentAt` are merged by id in items of their own (rare: Segment always sends a
  // `timestamp`), so the common items keep reading only their own partitions.
  const byId = partitions.filter((p) => p.byId);
  return [
    ...packSorted(
      partitions.filter((p) => !p.byId),
      maxPartitions,
      maxRows,
    ),
    ...packSorted(byId, maxPartitions, maxRows).map((item) => ({ ...item, byId: true })),
  ];
}

function packSorted(
  partitions: readonly PartitionRows[],
  maxPartitions: number,
  maxRows: number,
): MergeItem[] {
  const sorted = [...partitions].sort(
    (a, b) => a.customerId.localeCompare(b.customerId) || a.eventDate.localeCompare(b.eventDate),
  );
  const items: MergeItem[] = [];
  let current: MergeItem | undefined;
  for (const p of sorted) {
    if (!current || current.partitions.length >= maxPartitions || current.rows + p.rows > maxRows) {
      current = { customers: [], partitions: [], rows: 0 };
      items.push(current);
    }
    current.partitions.push({ customerId: p.customerId, eventDate: p.eventDate });
    current.rows += p.rows;
    if (current.customers.at(-1) !== p.customerId) current.customers.push(p.customerId);
  }
  return items;
}
