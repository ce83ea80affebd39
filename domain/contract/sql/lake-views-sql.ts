import { CURATED_TABLE, SCORES_PARTITIONS, SCORES_TABLE } from '../curated-table';
import { ERASED_ROWS_TABLE } from '../erasure';

/**
 * The views analysts and operators query, as SQL both engines run unchanged — Athena (the stack's Glue
 * views) and DuckDB (`npm run query`) — so a question has the same answer locally and on AWS.
 * `table(name)` names a table in the engine's catalog: `"db"."events"` in Athena, `events` in DuckDB.
 */
export type TableRef = (name: string) => string;

export interface ViewColumn {
  name: string;
  type: 'string' | 'bigint' | 'int' | 'double' | 'date';
}

/**
 * "Did all of yesterday arrive?": per customer and receive day, what the requests answered for good
 * acknowledged (one ledger line each) against what landed under the same request ids. `missing` and
 * `surplus` are summed per request, so a surplus in one request never hides a loss in another;
 * `missing` above 0 after Firehose's buffer interval means events to look for (errors/, or lost).
 */
export function completenessSql(table: TableRef): string {
  return (
    `WITH landed AS (SELECT customer_id, request_id, count(DISTINCT message_id) AS landed FROM ${table('events')} WHERE request_id IS NOT NULL GROUP BY customer_id, request_id), ` +
    `quarantine_landed AS (SELECT customer_id, request_id, count(*) AS quarantine_landed FROM ${table('quarantine')} WHERE request_id IS NOT NULL GROUP BY customer_id, request_id), ` +
    'per_request AS (SELECT l.customer_id, l.dt, l.accepted, l.quarantined, coalesce(e.landed, 0) AS landed, coalesce(q.quarantine_landed, 0) AS quarantine_landed ' +
    `FROM ${table('ledger')} l LEFT JOIN landed e ON e.customer_id = l.customer_id AND e.request_id = l.request_id ` +
    'LEFT JOIN quarantine_landed q ON q.customer_id = l.customer_id AND q.request_id = l.request_id WHERE l.ledger_version = 2), ' +
    'per_day AS (SELECT customer_id, dt, count(*) AS requests, sum(accepted) AS accepted, sum(landed) AS landed, ' +
    'sum(greatest(accepted - landed, 0)) AS missing, sum(greatest(landed - accepted, 0)) AS surplus, ' +
    'sum(quarantined) AS quarantined, sum(quarantine_landed) AS quarantine_landed ' +
    'FROM per_request GROUP BY customer_id, dt), ' +
    // Rows a Segment delete erased (contract/erasure.ts): gone on purpose, so not missing.
    `erased AS (SELECT customer_id, received_dt AS dt, sum(events) AS events, sum(quarantine) AS quarantine FROM ${table(ERASED_ROWS_TABLE)} GROUP BY customer_id, received_dt), ` +
    // Events of requests with no ledger line: stored, then the request ended in a retryable error and
    // the sender resent them. Expected under faults (de-duplication removes the copies), by receive day.
    `unacknowledged AS (SELECT e.customer_id, e.received_dt AS dt, count(*) AS unacknowledged FROM ${table('events')} e ` +
    `WHERE e.request_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${table('ledger')} l WHERE l.ledger_version = 2 AND l.customer_id = e.customer_id AND l.request_id = e.request_id) ` +
    'GROUP BY e.customer_id, e.received_dt), ' +
    'days AS (SELECT customer_id, dt FROM per_day UNION SELECT customer_id, dt FROM unacknowledged) ' +
    'SELECT k.customer_id, k.dt, coalesce(d.requests, 0) AS requests, coalesce(d.accepted, 0) AS accepted, coalesce(d.landed, 0) AS landed, ' +
    'greatest(coalesce(d.missing, 0) - coalesce(x.events, 0), 0) AS missing, coalesce(x.events, 0) AS erased, coalesce(d.surplus, 0) AS surplus, ' +
    'coalesce(d.quarantined, 0) AS quarantined, coalesce(d.quarantine_landed, 0) + coalesce(x.quarantine, 0) AS quarantine_landed, ' +
    'coalesce(u.unacknowledged, 0) AS unacknowledged ' +
    'FROM days k LEFT JOIN per_day d ON d.customer_id = k.customer_id AND d.dt = k.dt ' +
    'LEFT JOIN erased x ON x.customer_id = k.customer_id AND x.dt = k.dt ' +
    'LEFT JOIN unacknowledged u ON u.customer_id = k.customer_id AND u.dt = k.dt'
  );
}

/** The counts of a completeness row (docs/operations.md explains each). */
export const COMPLETENESS_COUNTS = [
  'requests',
  'accepted',
  'landed',
  'missing',
  'erased',
  'surplus',
  'quarantined',
  'quarantine_landed',
  'unacknowledged',
] as const;
export const COMPLETENESS_COLUMNS: ViewColumn[] = [
  { name: 'customer_id', type: 'string' },
  { name: 'dt', type: 'string' },
  ...COMPLETENESS_COUNTS.map((name) => ({ name, type: 'bigint' as const })),
];

/**
 * The same question against the curated table: per customer and receive day, the distinct messageIds
 * of the acknowledged requests (ledger lines joined with the landed lines of the same request ids)
 * and how many of them the curated table holds — `not_curated` above 0 after a compaction run means
 * messages compaction has not taken (or lost). A message acknowledged on two days counts on both.
 */
export function curatedCompletenessSql(table: TableRef): string {
  return (
    'WITH acknowledged AS (SELECT DISTINCT l.customer_id, l.dt, e.message_id ' +
    `FROM ${table('ledger')} l JOIN ${table('events')} e ON e.customer_id = l.customer_id AND e.request_id = l.request_id ` +
    'WHERE l.ledger_version = 2), ' +
    `curated AS (SELECT DISTINCT customer_id, message_id FROM ${table(CURATED_TABLE)}) ` +
    'SELECT a.customer_id, a.dt, count(*) AS acknowledged, count(c.message_id) AS curated, ' +
    'count(*) - count(c.message_id) AS not_curated ' +
    'FROM acknowledged a LEFT JOIN curated c ON c.customer_id = a.customer_id AND c.message_id = a.message_id ' +
    'GROUP BY a.customer_id, a.dt'
  );
}

export const CURATED_COMPLETENESS_VIEW = 'curated_completeness';
/** The landing completeness view: per customer and receive day, accepted against landed. */
export const COMPLETENESS_VIEW = 'completeness';
export const CURATED_COMPLETENESS_COLUMNS: ViewColumn[] = [
  { name: 'customer_id', type: 'string' },
  { name: 'dt', type: 'string' },
  ...['acknowledged', 'curated', 'not_curated'].map((name) => ({ name, type: 'bigint' as const })),
];

/**
 * `events_deduplicated`: the landing events, one row per `(customer_id, message_id)` (the first
 * received), with `event_time` typed. The same view in both engines; `eventTime` is the one expression
 * their dialects spell differently (Athena: from_iso8601_timestamp; DuckDB: a cast).
 */
export const EVENTS_DEDUPLICATED_VIEW = 'events_deduplicated';
export function eventsDeduplicatedSql(
  table: TableRef,
  columns: readonly string[],
  eventTime: string,
): string {
  const names = columns.map((c) => `"${c}"`).join(', ');
  return (
    `SELECT ${names}, ${eventTime} AS event_time, customer_id, received_dt ` +
    'FROM (SELECT *, row_number() OVER (PARTITION BY customer_id, message_id ORDER BY received_at) AS copy ' +
    `FROM ${table('events')}) WHERE copy = 1`
  );
}
export const ATHENA_EVENT_TIME = 'CAST(from_iso8601_timestamp("timestamp") AS timestamp(3))';
export const DUCKDB_EVENT_TIME = 'TRY_CAST("timestamp" AS TIMESTAMP)';

/**
 * Model monitoring, as Segment does it after a scoring: every scored person of every scoring (customer,
 * event key, as-of date) beside what they then did — `converted` is 1 when the person performed the
 * predicted event on or after the scoring date (by the events' own date). `npm run intent -- monitor`
 * groups it by percentile cohort and computes the realized AUC; on Athena query it with
 * `WHERE customer_id = '<id>' AND event_key = '<key>'` (both are injected keys of the scores table).
 */
export const INTENT_OUTCOMES_VIEW = 'intent_outcomes';
export function intentOutcomesSql(table: TableRef): string {
  return (
    'SELECT s.customer_id, s.event_key, s.as_of, s.person, s.probability, s.percentile, ' +
    'CASE WHEN c.person IS NULL THEN 0 ELSE 1 END AS converted ' +
    `FROM ${table(SCORES_TABLE)} s LEFT JOIN (` +
    'SELECT customer_id, event_key, coalesce(user_id, anonymous_id) AS person, max(event_date) AS last_date ' +
    `FROM ${table(CURATED_TABLE)} GROUP BY customer_id, event_key, coalesce(user_id, anonymous_id)` +
    ') c ON c.customer_id = s.customer_id AND c.event_key = s.event_key AND c.person = s.person AND c.last_date >= s.as_of'
  );
}
export const INTENT_OUTCOMES_COLUMNS: ViewColumn[] = [
  ...SCORES_PARTITIONS.map(({ name, type }) => ({ name, type })),
  { name: 'person', type: 'string' },
  { name: 'probability', type: 'double' },
  { name: 'percentile', type: 'double' },
  { name: 'converted', type: 'int' },
];
