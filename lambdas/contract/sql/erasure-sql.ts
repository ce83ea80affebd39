import { CURATED_TABLE } from '../curated-table';
import { literal, identifier as q } from './sql-text';

/**
 * The Athena statements of an erase pass on AWS (lib/user-erasure.ts), for one customer and the users
 * of its due delete requests. Every statement names its customer (`customer_id = '<id>'`): the landing
 * tables' customer key is an injected projection, and the pass must never touch another customer.
 */

/** A user to erase with its cut-off, or an anonymous id linked to one (the user's cut-off). */
export interface ErasedId {
  id: string;
  cutoffMs: number;
}

// Athena's query string limit is 256 KB (athena-rules.ts): each user's and each linked id's term is
// ~250 bytes plus the id (at most 1 KB), so 100 users with a few links each stay far below it.
export const MAX_USERS_PER_PASS = 100;

/**
 * The anonymous ids the customer's landing data links to the users: any event carrying both ids
 * (identify above all), and an alias's `previousId`. Pairs, so each link takes its user's cut-off.
 */
export function athenaLinkedIds(database: string, customerId: string, userIds: readonly string[]): string {
  const users = userIds.map(literal).join(', ');
  const events = `${q(database)}.${q('events')}`;
  return (
    `SELECT DISTINCT user_id, linked FROM (` +
    `SELECT user_id, anonymous_id AS linked FROM ${events} WHERE customer_id = ${literal(customerId)} AND user_id IN (${users}) ` +
    'UNION ALL ' +
    `SELECT user_id, json_extract_scalar(message, '$.previousId') AS linked FROM ${events} WHERE customer_id = ${literal(customerId)} AND user_id IN (${users}) AND type = 'alias'` +
    ') WHERE linked IS NOT NULL AND linked <> user_id'
  );
}

/**
 * Rows about the users that Segment received up to each one's cut-off (its `receivedAt`, else ours):
 * the same rule as the local erase (lambdas/core/erasure/erasure-matcher.ts).
 */
function aboutUsers(users: readonly ErasedId[], linked: readonly ErasedId[], ours: string): string {
  const received = `coalesce(try(from_iso8601_timestamp(json_extract_scalar(message, '$.receivedAt'))), ${ours})`;
  const before = (cutoffMs: number) =>
    `${received} <= from_iso8601_timestamp(${literal(new Date(cutoffMs).toISOString())})`;
  const terms = [
    ...users.map(
      (u) =>
        `((user_id = ${literal(u.id)} OR json_extract_scalar(message, '$.previousId') = ${literal(u.id)}) AND ${before(u.cutoffMs)})`,
    ),
    ...linked.map(
      (a) =>
        `((anonymous_id = ${literal(a.id)} OR json_extract_scalar(message, '$.previousId') = ${literal(a.id)}) AND ${before(a.cutoffMs)})`,
    ),
  ];
  return `(${terms.join(' OR ')})`;
}

/** How many curated rows are about the users: before the DELETE (rows removed) and after (must be 0). */
export function athenaCountErasedCurated(
  database: string,
  customerId: string,
  users: readonly ErasedId[],
  linked: readonly ErasedId[],
): string {
  return `SELECT count(*) AS n FROM ${q(database)}.${q(CURATED_TABLE)} WHERE customer_id = ${literal(customerId)} AND ${aboutUsers(users, linked, "with_timezone(received_at, 'UTC')")}`;
}

/** How many landing events are about the users: the verification after the objects were rewritten. */
export function athenaCountErasedLanding(
  database: string,
  customerId: string,
  users: readonly ErasedId[],
  linked: readonly ErasedId[],
): string {
  return `SELECT count(*) AS n FROM ${q(database)}.${q('events')} WHERE customer_id = ${literal(customerId)} AND ${aboutUsers(users, linked, 'from_iso8601_timestamp(received_at)')}`;
}

/** The curated rows about the users, deleted (Iceberg writes delete files; the OPTIMIZE below rewrites the data). */
export function athenaDeleteErasedCurated(
  database: string,
  customerId: string,
  users: readonly ErasedId[],
  linked: readonly ErasedId[],
): string {
  return `DELETE FROM ${q(database)}.${q(CURATED_TABLE)} WHERE customer_id = ${literal(customerId)} AND ${aboutUsers(users, linked, "with_timezone(received_at, 'UTC')")}`;
}

/** The customer's curated files rewritten without the deleted rows (a data file with delete files is rewritten). */
export function athenaRewriteCustomer(database: string, customerId: string): string {
  return `OPTIMIZE ${q(database)}.${q(CURATED_TABLE)} REWRITE DATA USING BIN_PACK\nWHERE customer_id = ${literal(customerId)}`;
}

/**
 * Snapshots older than this are expired by VACUUM, with the data files only they reference. Six hours:
 * longer than a compaction run may last (its state machine's timeout), so VACUUM's orphan-file removal
 * never takes a file an unfinished MERGE wrote; short enough that the erase pass's VACUUM, run this
 * long after its DELETE, removes every snapshot that still held the rows well inside the window.
 */
export const SNAPSHOT_AGE_SECONDS = 6 * 3600;

export function athenaSnapshotRetention(database: string): string {
  return `ALTER TABLE ${q(database)}.${q(CURATED_TABLE)} SET TBLPROPERTIES ('vacuum_max_snapshot_age_seconds'='${SNAPSHOT_AGE_SECONDS}', 'vacuum_min_snapshots_to_keep'='1')`;
}
