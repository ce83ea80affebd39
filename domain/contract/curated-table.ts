import { duckdbType } from './duckdb-types';

/**
 * The curated zone: one row per `(customer_id, message_id)`, typed and columnar, partitioned by
 * customer and the **month** of the event date, beside the raw landing zone (partitioned by receive
 * date). Locally Parquet files under `lake/curated/events/customer_id=<id>/event_month=<YYYY-MM>/data.parquet`
 * (one file per partition, replaced whole, rows sorted by event time so row-group statistics skip days);
 * on AWS an Iceberg table with the same columns, partitioned by `customer_id` and `month(event_date)`.
 * `event_date` stays a column on both: a query filters on it and the engine prunes the months.
 * Which copy of a message is kept: the first received (earliest `received_at`, then `request_id`).
 * Why months and not days: docs/decisions/0005-curated-layout.md.
 */
export const CURATED_TABLE = 'events_curated';
export const CURATED_AREA = 'curated/events';

/**
 * The AWS compaction's staging: per run and customer, a symlink manifest listing the run's new landing
 * objects (`<prefix>/run_id=<run>/customer_id=<id>/manifest`), read through the `compaction_staging`
 * table — so each run reads exactly its new objects, never a day's worth again.
 */
export const STAGING_TABLE = 'compaction_staging';
export const STAGING_PREFIX = 'curated/_staging';
/**
 * Locally, under `<lake>/curated/`: where a compaction stages each partition's new file before renaming
 * it into place, and where DuckDB spills. Both are incomplete by definition once no compaction runs: a
 * compaction removes them at its start, and an erase (holding the same lock) before it reads anything,
 * so a staged copy of an erased user's rows never outlives a pass.
 */
export const LOCAL_CURATED_WORK_DIRS = ['_staging', '_tmp'] as const;
/**
 * How long a run's object-log messages stay hidden: longer than a run may last (the state machine's
 * 6 h), so a running batch is never taken twice; a failed run's objects come back after it (8 h; SQS
 * allows 12). The queue's visibility timeout is the same.
 */
export const HIDE_SECONDS = 8 * 3600;
export const stagingRunPrefix = (runId: string) => `${STAGING_PREFIX}/run_id=${runId}/`;
export const stagingManifestKey = (runId: string, customerId: string) =>
  `${stagingRunPrefix(runId)}customer_id=${customerId}/manifest`;

/** A column's type, as each engine spells it: DuckDB/Parquet locally, Athena (Iceberg) on AWS. */
export type CuratedType = 'string' | 'boolean' | 'timestamp' | 'date' | 'json';
export const DUCKDB_TYPES = Object.fromEntries(
  (['string', 'boolean', 'timestamp', 'date', 'json'] as const).map((t) => [
    t,
    // JSON is kept as its text, as Athena keeps it.
    duckdbType(t === 'json' ? 'string' : t),
  ]),
) as Record<CuratedType, string>;
export const ATHENA_TYPES: Record<CuratedType, string> = {
  string: 'string',
  boolean: 'boolean',
  // Iceberg keeps microseconds.
  timestamp: 'timestamp',
  date: 'date',
  json: 'string',
};

/**
 * Where each column comes from: a field of the landing event record (EVENT_FIELDS) with its type
 * sharpened (timestamps and dates typed, JSON kept as JSON text), or a part of `message` analysts read
 * most (`properties`, `traits`, `context`) lifted into a column of its own.
 */
export const CURATED_COLUMNS = [
  { name: 'message_id', type: 'string', from: 'field' },
  { name: 'message_id_generated', type: 'boolean', from: 'field' },
  { name: 'type', type: 'string', from: 'field' },
  { name: 'event', type: 'string', from: 'field' },
  { name: 'event_raw', type: 'string', from: 'field' },
  { name: 'event_key', type: 'string', from: 'field' },
  { name: 'user_id', type: 'string', from: 'field' },
  { name: 'anonymous_id', type: 'string', from: 'field' },
  { name: 'timestamp', type: 'timestamp', from: 'field' },
  { name: 'timestamp_out_of_range', type: 'boolean', from: 'field' },
  { name: 'planned', type: 'boolean', from: 'field' },
  { name: 'violations', type: 'json', from: 'field' },
  { name: 'received_at', type: 'timestamp', from: 'field' },
  { name: 'request_id', type: 'string', from: 'field' },
  { name: 'properties', type: 'json', from: 'message' },
  { name: 'traits', type: 'json', from: 'message' },
  { name: 'context', type: 'json', from: 'message' },
  { name: 'message', type: 'json', from: 'field' },
] as const satisfies readonly { name: string; type: CuratedType; from: 'field' | 'message' }[];

/**
 * The columns the table is partitioned on, last in its column order: the customer, and the event date
 * through its month (CURATED_MONTH). Analysts filter on these two.
 */
export const CURATED_PARTITIONS = [
  { name: 'customer_id', type: 'string' },
  { name: 'event_date', type: 'date' },
] as const satisfies readonly { name: string; type: CuratedType }[];

/**
 * How `event_date` partitions the table: by its month. Locally the month is a directory
 * (`event_month=<YYYY-MM>`) that the table's view does not show; on AWS, Iceberg's hidden partitioning
 * `month(event_date)`, which has no column either. Either way a filter on `event_date` prunes months.
 */
export const CURATED_MONTH = { column: 'event_month', transform: 'month', of: 'event_date' } as const;

/** A month partition's name. */
export const MONTH_PATTERN = /^\d{4}-\d{2}$/;

/**
 * The columns a local curated file stores, in order: every column but `customer_id`, which its path
 * gives. `event_date` is stored, since the path names only its month.
 */
export const CURATED_FILE_COLUMNS = [...CURATED_COLUMNS.map((c) => c.name), CURATED_MONTH.of] as const;

/** The month partition of an event date: `2026-11-28` → `2026-11`. */
export const eventMonth = (eventDate: string): string => eventDate.slice(0, 7);

/**
 * The first day of a month and the first day of the next (`2026-12` → `2026-12-01`, `2027-01-01`);
 * no next for `9999-12`, the last month a four-digit date can name.
 */
export function monthBounds(month: string): { first: string; next?: string } {
  const [year, m] = month.split('-').map(Number) as [number, number];
  if (year === 9999 && m === 12) return { first: `${month}-01` };
  const [nextYear, nextMonth] = m === 12 ? [year + 1, 1] : [year, m + 1];
  return {
    first: `${month}-01`,
    next: `${String(nextYear).padStart(4, '0')}-${String(nextMonth).padStart(2, '0')}-01`,
  };
}

/** The local path of a curated partition (a customer's month), relative to the lake root. */
export function curatedPartitionPath(customerId: string, month: string): string {
  return `${CURATED_AREA}/customer_id=${customerId}/${CURATED_MONTH.column}=${month}/`;
}

/** The one file of a local curated partition. */
export const CURATED_FILE = 'data.parquet';

/**
 * Intent scores (`npm run intent`): one Parquet file per customer, conversion event key and scoring
 * date, `scores/customer_id=<id>/event_key=<key>/as_of=<YYYY-MM-DD>/scores.parquet`; the `scores` table.
 */
export const SCORES_TABLE = 'scores';
export const SCORES_AREA = 'scores';
export const SCORES_FILE = 'scores.parquet';
export const SCORES_COLUMNS = [
  { name: 'user_id', type: 'string' },
  { name: 'anonymous_id', type: 'string' },
  { name: 'person', type: 'string' },
  // The model's probability of converting within the horizon, and the user's percentile cohort
  // (Segment's convention: the share of users scoring lower, so 0.8 is the top 20 %).
  { name: 'probability', type: 'double' },
  { name: 'percentile', type: 'double' },
  { name: 'decile', type: 'int' },
  // Why: the person's three strongest reasons (domain/core/intent/reasons.ts) as JSON text,
  // `[{"feature","value","contribution"}]`, contributions in log-odds; `[]` when no feature moves the
  // score. NULL in scores an earlier release wrote.
  { name: 'reasons', type: 'string' },
] as const;

/** An intent run's temporary feature files on AWS (`<prefix><run>/<set>/`): removed when the run ends. */
export const INTENT_FEATURES_PREFIX = 'intent/_features/';

/**
 * The table of shares an intent run's trees explain each person with (Model.contributionsSql): JSON
 * lines the training step writes under the run's own prefix, removed with its features; the run id is
 * an injected partition key, so the scoring statement names its run.
 */
export const INTENT_SHARES_TABLE = 'intent_shares';
export const INTENT_SHARES_COLUMNS = [
  { name: 'tree', type: 'int' },
  { name: 'code', type: 'int' },
  { name: 'feature', type: 'int' },
  { name: 'share', type: 'double' },
] as const;
/** Where a run's table of shares lies: `intent/_features/<run id>/shares/`. */
export const intentSharesPrefix = (runId: string) => `${INTENT_FEATURES_PREFIX}${runId}/shares/`;
/** The intent runs' report pages on AWS (`<prefix><customer>/<event key>/<as of>.html`). */
export const INTENT_REPORTS_PREFIX = 'intent/reports/';
/** Everything curated (the curated table and its compaction's staging): what the intent job reads. */
export const CURATED_PREFIX = 'curated/';

/** The scores table's partitions, in path order: `customer_id=<id>/event_key=<key>/as_of=<date>/`. */
export const SCORES_PARTITIONS = [
  { name: 'customer_id', type: 'string' },
  { name: 'event_key', type: 'string' },
  { name: 'as_of', type: 'date' },
] as const;

/** `customer_id=…/event_key=…/as_of=…/`, from the values of SCORES_PARTITIONS in order. */
export function scoresPartitionPath(customerId: string, eventKey: string, asOf: string): string {
  const values = [customerId, eventKey, asOf];
  return SCORES_PARTITIONS.map((p, i) => `${p.name}=${values[i]}/`).join('');
}

export function scoresPath(customerId: string, eventKey: string, asOf: string): string {
  return `${SCORES_AREA}/${scoresPartitionPath(customerId, eventKey, asOf)}${SCORES_FILE}`;
}

/** Rows of one customer's event date that a run's new landing objects hold (the plan query's rows). */
export interface DayRows {
  customerId: string;
  eventDate: string;
  rows: number;
  /** The rows are dated by `sentAt` (a resend may carry another date): merged by id, apart. */
  byId?: boolean;
}

/**
 * One MERGE of a run: the event days it may write, every one named (so the MERGE reads only the files
 * whose `event_date` statistics reach them), and the customers they belong to. The partitions it writes
 * are the days' months (`itemMonths`).
 */
export interface MergeItem {
  customers: string[];
  days: { customerId: string; eventDate: string }[];
  rows: number;
  /**
   * Rows dated by `sentAt`: their message is looked up by id in every partition of the item's
   * customers (a resend may carry another date), not only in the item's days.
   */
  byId?: boolean;
}

/** The partitions (customer × month) an item's days fall in, in order. */
export function itemMonths(item: Pick<MergeItem, 'days'>): { customerId: string; month: string }[] {
  const seen = new Map<string, { customerId: string; month: string }>();
  for (const d of item.days) {
    const month = eventMonth(d.eventDate);
    seen.set(`${d.customerId}\u0000${month}`, { customerId: d.customerId, month });
  }
  return [...seen.values()];
}
