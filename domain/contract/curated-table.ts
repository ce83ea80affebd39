import { duckdbType } from './duckdb-types';
import type { EVENT_FIELDS } from './lake-records';

/**
 * The curated zone: one row per `(customer_id, message_id)`, typed and columnar, partitioned by
 * customer and **event** date, beside the raw landing zone (partitioned by receive date). Locally
 * Parquet files under `lake/curated/events/customer_id=<id>/event_date=<YYYY-MM-DD>/data.parquet` (one
 * file per partition, replaced whole); on AWS an Iceberg table with the same columns and partitioning.
 * Which copy of a message is kept: the first received (earliest `received_at`, then `request_id`).
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

/** The partition columns, in path order: `customer_id=<id>/event_date=<YYYY-MM-DD>/`. */
export const CURATED_PARTITIONS = [
  { name: 'customer_id', type: 'string' },
  { name: 'event_date', type: 'date' },
] as const satisfies readonly { name: string; type: CuratedType }[];

/**
 * Fields of the landing record the curated table leaves out, and why: every other field is a column.
 * A test holds the two lists to EVENT_FIELDS, so a new field cannot be forgotten.
 */
export const CURATED_OMITS: Partial<Record<keyof typeof EVENT_FIELDS, string>> = {
  schema_version: 'the landing format version; the curated table has its own schema',
  area: 'always events',
  dt: 'the landing-era event date (receive date when out of range); event_date replaces it',
  event_date_from_sent_at:
    'how event_date was found; compaction uses it to find a resend by id, the row needs no copy of it',
};

/** The local path of a curated partition, relative to the lake root. */
export function curatedPartitionPath(customerId: string, eventDate: string): string {
  return `${CURATED_AREA}/customer_id=${customerId}/event_date=${eventDate}/`;
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
] as const;

/** An intent run's temporary feature files on AWS (`<prefix><run>/<set>/`): removed when the run ends. */
export const INTENT_FEATURES_PREFIX = 'intent/_features/';
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

/** Rows of one curated partition (customer × event date) that a run's new landing objects hold. */
export interface PartitionRows {
  customerId: string;
  eventDate: string;
  rows: number;
  /** The rows are dated by `sentAt` (a resend may carry another date): merged by id, apart. */
  byId?: boolean;
}

/** One MERGE of a run: the partitions it may write, every one named, and the customers they belong to. */
export interface MergeItem {
  customers: string[];
  partitions: { customerId: string; eventDate: string }[];
  rows: number;
  /**
   * Rows dated by `sentAt`: their message is looked up by id in every partition of the item's
   * customers (a resend may carry another date), not only in the item's partitions.
   */
  byId?: boolean;
}
