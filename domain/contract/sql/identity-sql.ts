import { CURATED_TABLE } from '../curated-table';
import { IDENTITY_RULES, PLACEHOLDER_IDS } from '../identity';
import { literal } from './sql-text';

/** The engine's name for a table (locally the view of `npm run query`). */
type TableRef = (name: string) => string;

/** An id, trimmed; NULL when it is empty or a placeholder that is no one's (PLACEHOLDER_IDS). */
export const realId = (column: string) =>
  `CASE WHEN lower(trim(${column})) IN (${PLACEHOLDER_IDS.map(literal).join(', ')}) THEN NULL ELSE trim(${column}) END`;

/**
 * The graph's common part, over one customer's curated rows (DuckDB): `clean` (ids without
 * placeholders), `canon` (each user id's person after at most IDENTITY_RULES.aliasHops user-to-user
 * aliases) and `linked` (each anonymous id × person pair, first and last seen, shared or not, merged or
 * not).
 */
function graph(table: TableRef, customerId: string): string {
  const hops = Array.from({ length: IDENTITY_RULES.aliasHops }, (_, i) => i + 1);
  return (
    `WITH clean AS (SELECT ${realId('user_id')} AS uid, ${realId('anonymous_id')} AS aid, type, ` +
    `${realId("json_extract_string(message, '$.previousId')")} AS prev, traits, timestamp AS ts ` +
    `FROM ${table(CURATED_TABLE)} WHERE customer_id = ${literal(customerId)}), ` +
    'known AS (SELECT DISTINCT uid FROM clean WHERE uid IS NOT NULL), ' +
    // An alias from one user id to another: the old one's person is the new one's (its latest alias).
    "merges AS (SELECT prev AS from_uid, max_by(uid, ts) AS to_uid FROM clean WHERE type = 'alias' AND uid IS NOT NULL " +
    'AND prev IS NOT NULL AND prev <> uid AND prev IN (SELECT uid FROM known) GROUP BY prev), ' +
    `canon AS (SELECT k.uid, coalesce(${[...hops]
      .reverse()
      .map((h) => `m${h}.to_uid`)
      .join(', ')}, k.uid) AS person FROM known k ` +
    hops
      .map((h) => `LEFT JOIN merges m${h} ON m${h}.from_uid = ${h === 1 ? 'k.uid' : `m${h - 1}.to_uid`}`)
      .join(' ') +
    '), ' +
    // Every anonymous id seen with a user id: in one message, or as an alias's previous id.
    'pairs AS (SELECT aid, uid, ts FROM clean WHERE aid IS NOT NULL AND uid IS NOT NULL ' +
    "UNION ALL SELECT prev AS aid, uid, ts FROM clean WHERE type = 'alias' AND uid IS NOT NULL AND prev IS NOT NULL " +
    'AND prev NOT IN (SELECT uid FROM known)), ' +
    'seen AS (SELECT p.aid AS anonymous_id, c.person AS user_id, min(p.ts) AS first_seen_at, max(p.ts) AS last_seen_at ' +
    'FROM pairs p JOIN canon c ON c.uid = p.uid GROUP BY 1, 2), ' +
    'flagged AS (SELECT *, count(*) OVER (PARTITION BY anonymous_id) > 1 AS shared FROM seen), ' +
    'linked AS (SELECT *, NOT shared AND row_number() OVER (PARTITION BY user_id, shared ORDER BY first_seen_at, anonymous_id) ' +
    `<= ${IDENTITY_RULES.anonymousIdsPerUser} AS merged FROM flagged)`
  );
}

/** The `identities` rows of one customer (DuckDB): every anonymous id × user pair, with its flags. */
export function duckdbIdentitiesSql(table: TableRef, customerId: string): string {
  return (
    `${graph(table, customerId)} SELECT anonymous_id, user_id, first_seen_at, last_seen_at, shared, merged ` +
    'FROM linked ORDER BY user_id, first_seen_at, anonymous_id'
  );
}

/**
 * The `users` rows of one customer (DuckDB): each person (a user id, aliases followed), the anonymous
 * ids merged into them (first seen first), the latest value of each trait of their identify calls, and
 * when they were first and last seen under any of their ids.
 */
export function duckdbUsersSql(table: TableRef, customerId: string): string {
  return (
    `${graph(table, customerId)}, ` +
    "tv AS (SELECT c.person, k AS trait, max_by(json_extract(e.traits, '$.\"' || replace(k, '\"', '\\\\\"') || '\"'), e.ts) AS value " +
    "FROM (SELECT uid, ts, traits, unnest(json_keys(traits)) AS k FROM clean WHERE type = 'identify' AND uid IS NOT NULL " +
    "AND json_type(traits) = 'OBJECT') e JOIN canon c ON c.uid = e.uid GROUP BY 1, 2), " +
    'traits AS (SELECT person, CAST(json_group_object(trait, value) AS VARCHAR) AS traits FROM tv GROUP BY 1), ' +
    'times AS (SELECT c.person, min(e.ts) AS first_seen_at, max(e.ts) AS last_seen_at FROM clean e JOIN canon c ON c.uid = e.uid GROUP BY 1), ' +
    // First seen first: a list of (first seen, id) pairs sorted, not an ordered aggregate — DuckDB
    // holds an ordered aggregate's every group in memory, and at 1 M users (10 M anonymous ids) that
    // ran out of its 2 GB (npm run bench -- --only identity).
    'anons AS (SELECT user_id AS person, list_transform(list_sort(list(struct_pack(f := first_seen_at, a := anonymous_id))), x -> x.a) AS anonymous_ids FROM linked WHERE merged GROUP BY 1) ' +
    "SELECT t.person AS user_id, coalesce(a.anonymous_ids, CAST([] AS VARCHAR[])) AS anonymous_ids, coalesce(tr.traits, '{}') AS traits, " +
    't.first_seen_at, t.last_seen_at FROM times t LEFT JOIN anons a ON a.person = t.person LEFT JOIN traits tr ON tr.person = t.person ' +
    'ORDER BY user_id'
  );
}
