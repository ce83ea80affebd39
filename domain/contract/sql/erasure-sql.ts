import { CURATED_TABLE } from '../curated-table';
import { ERASE_IDS_TABLE } from '../erasure';
import { IDENTITY_FACTS_TABLE } from '../identity';
import { LANDING_V1_SUFFIX } from '../lake-areas';
import { literal, identifier as q } from './sql-text';

/**
 * The Athena statements of an erase pass on AWS (lib/user-erasure.ts), for one customer and one pass.
 * The ids to erase are rows of the `erase_ids` table (contract/erasure.ts), joined by the statements:
 * no statement names a user, so Athena's query history and the state machine's execution history
 * hold none. Every statement names its customer (`customer_id = '<id>'`, the landing tables' customer
 * key is an injected projection) and its pass.
 */

/** A user to erase with its cut-off, or an anonymous id linked to one (the user's cut-off). */
export interface ErasedId {
  id: string;
  cutoffMs: number;
}

// Users per pass: their rows of erase_ids are joined, so the statement's size does not grow with them;
// the bound keeps one pass's rewrite (and its retry) to a known share of a day's deletes.
export const MAX_USERS_PER_PASS = 1_000;

/** The pass's rows of erase_ids (both injected keys named, as the projection needs). */
function ids(database: string, customerId: string, passId: string, alias: string): string {
  return `(SELECT id, from_iso8601_timestamp(cutoff) AS cutoff FROM ${q(database)}.${q(ERASE_IDS_TABLE)} WHERE customer_id = ${literal(customerId)} AND pass_id = ${literal(passId)}) ${alias}`;
}

/**
 * The anonymous ids the customer's landing data links to the pass's users: any event carrying both
 * ids (identify above all), and an alias's `previousId`. Pairs, so each link takes its user's cut-off.
 */
export function athenaLinkedIds(database: string, customerId: string, passId: string): string {
  const events = `${q(database)}.${q('events')}`;
  return (
    'SELECT DISTINCT user_id, linked FROM (' +
    `SELECT e.user_id, e.anonymous_id AS linked FROM ${events} e JOIN ${ids(database, customerId, passId, 'i')} ON e.user_id = i.id WHERE e.customer_id = ${literal(customerId)} ` +
    'UNION ALL ' +
    `SELECT e.user_id, json_extract_scalar(e.message, '$.previousId') AS linked FROM ${events} e JOIN ${ids(database, customerId, passId, 'i')} ON e.user_id = i.id WHERE e.customer_id = ${literal(customerId)} AND e.type = 'alias'` +
    ') WHERE linked IS NOT NULL AND linked <> user_id'
  );
}

/** A row of a table with the events' columns (user_id, anonymous_id, message) naming one of the ids `i`. */
const ABOUT_ID =
  "(r.user_id = i.id OR (r.user_id IS NULL AND (r.anonymous_id = i.id OR json_extract_scalar(r.message, '$.previousId') = i.id)))";

/**
 * The landing objects that may hold rows about the pass's ids, by Athena's `"$path"` (their `s3://`
 * URLs), so a pass reads and rewrites those objects only instead of listing every object under the
 * customer's prefixes and the shared quarantine. A superset of what the rewrite removes: events by the
 * ids alone (the rewrite applies the cut-offs, so a receive time Athena reads otherwise never hides an
 * object), quarantine entries by any of an id's written forms anywhere in the kept message or body
 * (the rewrite reads the entry, any casing of the id fields included). Both layouts: the landing
 * tables and the first layout's `_v1` tables (lake-areas.ts).
 */
export function athenaObjectsToRewrite(database: string, customerId: string, passId: string): string {
  const customer = literal(customerId);
  const events = (table: string) =>
    `SELECT r."$path" AS path FROM ${q(database)}.${q(table)} r JOIN ${ids(database, customerId, passId, 'i')} ON ${ABOUT_ID} WHERE r.customer_id = ${customer}`;
  const forms = `(SELECT id, form FROM ${q(database)}.${q(ERASE_IDS_TABLE)} CROSS JOIN UNNEST(forms) AS f (form) WHERE customer_id = ${customer} AND pass_id = ${literal(passId)} AND form <> '') i`;
  // The id fields of a kept message by value too, however Athena renders the message back as text.
  const fields = ['userId', 'anonymousId', 'previousId']
    .map((f) => `json_extract_scalar(r.raw, '$.${f}') = i.id`)
    .join(' OR ');
  const quarantine = (table: string) =>
    `SELECT r."$path" AS path FROM ${q(database)}.${q(table)} r JOIN ${forms} ON (strpos(coalesce(r.raw, '') || chr(10) || coalesce(r.raw_body, ''), i.form) > 0 OR ${fields}) WHERE r.customer_id = ${customer}`;
  return `SELECT DISTINCT path FROM (${[
    events('events'),
    events(`events${LANDING_V1_SUFFIX}`),
    quarantine('quarantine'),
    quarantine(`quarantine${LANDING_V1_SUFFIX}`),
  ].join(' UNION ALL ')}) ORDER BY path`;
}

/**
 * The rows of a table about the pass's ids that Segment received up to each id's cut-off (its
 * `receivedAt`, else ours): the same rule as the local erase (domain/core/erasure/erasure-matcher.ts).
 */
function matching(database: string, table: string, customerId: string, passId: string, ours: string): string {
  const received = `coalesce(try(from_iso8601_timestamp(json_extract_scalar(r.message, '$.receivedAt'))), ${ours})`;
  return (
    `SELECT DISTINCT r.message_id FROM ${q(database)}.${q(table)} r JOIN ${ids(database, customerId, passId, 'i')} ` +
    // A row with a user id is that user's: a linked (shared) anonymous id never takes another user's rows.
    `ON ${ABOUT_ID} ` +
    `WHERE r.customer_id = ${literal(customerId)} AND ${received} <= i.cutoff`
  );
}

const CURATED_RECEIVED = "with_timezone(r.received_at, 'UTC')";
const LANDING_RECEIVED = 'from_iso8601_timestamp(r.received_at)';

/** How many curated rows are about the pass's ids: before the delete (rows removed) and after (must be 0). */
export function athenaCountErasedCurated(database: string, customerId: string, passId: string): string {
  return `SELECT count(*) AS n FROM (${matching(database, CURATED_TABLE, customerId, passId, CURATED_RECEIVED)})`;
}

/** How many landing events are about the pass's ids: the verification after the objects were rewritten. */
export function athenaCountErasedLanding(database: string, customerId: string, passId: string): string {
  return `SELECT count(*) AS n FROM (${matching(database, 'events', customerId, passId, LANDING_RECEIVED)})`;
}

/**
 * The curated rows about the pass's ids, deleted: a MERGE whose matched rows are deleted (Iceberg
 * writes delete files; the OPTIMIZE below rewrites the data files without them).
 */
export function athenaDeleteErasedCurated(database: string, customerId: string, passId: string): string {
  return (
    `MERGE INTO ${q(database)}.${q(CURATED_TABLE)} t USING (${matching(database, CURATED_TABLE, customerId, passId, CURATED_RECEIVED)}) s ` +
    `ON t.customer_id = ${literal(customerId)} AND t.message_id = s.message_id WHEN MATCHED THEN DELETE`
  );
}

/**
 * The identity facts of finished passes' ids deleted (identity-sql.ts), in one statement a run: every
 * fact whose user id is one of a pass's ids — those the erased curated rows gave (a fact comes only from
 * rows with a user id). Facts from another user's own messages on a shared device stay, as those
 * messages do. One statement, not one a pass: passes run ten at a time, and MERGEs into the same
 * Iceberg files at once fail (ICEBERG_COMMIT_ERROR).
 */
export function athenaDeleteErasedIdentities(
  database: string,
  passes: readonly { customerId: string; passId: string }[],
): string {
  if (passes.length === 0) throw new Error('an identity erase needs at least one pass');
  const ids = passes
    .map(
      (p) =>
        `SELECT customer_id, id FROM ${q(database)}.${q(ERASE_IDS_TABLE)} WHERE customer_id = ${literal(p.customerId)} AND pass_id = ${literal(p.passId)}`,
    )
    .join(' UNION ALL ');
  const customers = [...new Set(passes.map((p) => p.customerId))].map(literal).join(', ');
  return (
    `MERGE INTO ${q(database)}.${q(IDENTITY_FACTS_TABLE)} t USING (SELECT DISTINCT customer_id, id FROM (${ids})) s ` +
    `ON t.customer_id IN (${customers}) AND t.customer_id = s.customer_id AND t.user_id = s.id WHEN MATCHED THEN DELETE`
  );
}

/** The customer's curated files rewritten without the deleted rows (a data file with delete files is rewritten). */
export function athenaRewriteCustomer(database: string, customerId: string): string {
  return `OPTIMIZE ${q(database)}.${q(CURATED_TABLE)} REWRITE DATA USING BIN_PACK\nWHERE customer_id = ${literal(customerId)}`;
}

/**
 * Snapshots older than this are expired by VACUUM, with the data files only they reference (the table
 * property `vacuum_max_snapshot_age_seconds`, default 5 days, keeping `vacuum_min_snapshots_to_keep`:
 * https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html). Six hours:
 * longer than a compaction run may last (its state machine's timeout), so VACUUM's orphan-file removal
 * never takes a file an unfinished MERGE wrote; short enough that the erase pass's VACUUM, run this
 * long after its DELETE, removes every snapshot that still held the rows well inside the window.
 */
export const SNAPSHOT_AGE_SECONDS = 6 * 3600;

export function athenaSnapshotRetention(database: string): string {
  return `ALTER TABLE ${q(database)}.${q(CURATED_TABLE)} SET TBLPROPERTIES ('vacuum_max_snapshot_age_seconds'='${SNAPSHOT_AGE_SECONDS}', 'vacuum_min_snapshots_to_keep'='1')`;
}
