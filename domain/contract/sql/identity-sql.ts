import { CURATED_TABLE } from '../curated-table';
import { IDENTITY_FACTS_TABLE, IDENTITY_RULES, PLACEHOLDER_IDS } from '../identity';
import { athenaStagedRows, type Dialect } from './curated-sql';
import { SNAPSHOT_AGE_SECONDS } from './erasure-sql';
import { literal, identifier as q } from './sql-text';

/** An id, trimmed; NULL when it is empty or a placeholder that is no one's (PLACEHOLDER_IDS). */
export const realId = (column: string) =>
  `CASE WHEN lower(trim(${column})) IN (${PLACEHOLDER_IDS.map(literal).join(', ')}) THEN NULL ELSE trim(${column}) END`;

/**
 * The identity graph in two steps, the same rules in both engines (domain/contract/identity.ts):
 *
 * 1. **Facts**, grouped from curated rows (any set of them: a customer's whole table locally, a
 *    compaction run's new rows on AWS): `link` (an anonymous id seen with a user id), `alias` (an
 *    alias's `previousId` → its user id), `seen` (a user id, first and last seen), `trait` (a user's
 *    latest value of one identify trait). Each fact has a key (customer, kind, user, from) and folds
 *    with another of the same key by earliest first / latest last / latest value, so facts can be
 *    added up incrementally, in any order, twice (athenaMergeIdentityFacts).
 * 2. **The graph** from the facts: aliases between users followed (at most `aliasHops`), shared
 *    devices flagged, merges capped per user — the `identities` and `users` relations.
 *
 * Locally both steps run in one statement per customer (`npm run compact` writes the two Parquet
 * files); on AWS the facts are an Iceberg table the compaction MERGEs into once a run, and the two
 * relations are Athena views over it.
 */

/**
 * The columns a facts source must give: the curated columns the facts read (the AWS arithmetic in
 * docs/lake.md counts their bytes).
 */
export const FACT_INPUT = [
  'customer_id',
  'user_id',
  'anonymous_id',
  'type',
  'message',
  'traits',
  'timestamp',
];

const previousId = (dialect: Dialect) =>
  dialect === 'duckdb'
    ? "json_extract_string(message, '$.previousId')"
    : "json_extract_scalar(message, '$.previousId')";

/** One trait of an identify row per row (`k`, its value as JSON text `v`), from `clean` rows `c`. */
function traitRows(dialect: Dialect): string {
  const identifies = "c.type = 'identify' AND c.uid IS NOT NULL";
  return dialect === 'duckdb'
    ? `SELECT customer_id, uid, ts, k, CAST(json_extract(traits, '$."' || replace(k, '"', '\\"') || '"') AS VARCHAR) AS v ` +
        `FROM (SELECT c.customer_id, c.uid, c.ts, c.traits, unnest(json_keys(c.traits)) AS k FROM clean c WHERE ${identifies} AND json_type(c.traits) = 'OBJECT')`
    : `SELECT c.customer_id, c.uid, c.ts, t.k, json_format(t.v) AS v FROM clean c ` +
        `CROSS JOIN UNNEST(try_cast(json_parse(c.traits) AS map(varchar, json))) AS t (k, v) WHERE ${identifies}`;
}

/**
 * The facts of the rows of `source` (a relation with the curated columns FACT_INPUT), grouped by their
 * key: `customer_id, kind, user_id, from_id, first_seen_at, last_seen_at, value`.
 *
 * @internal
 */
export function identityFactsSql(dialect: Dialect, source: string): string {
  const text = dialect === 'duckdb' ? 'VARCHAR' : 'varchar';
  const none = `CAST(NULL AS ${text})`;
  return (
    `WITH clean AS (SELECT customer_id, ${realId('user_id')} AS uid, ${realId('anonymous_id')} AS aid, type, ` +
    `${realId(previousId(dialect))} AS prev, traits, "timestamp" AS ts FROM (SELECT ${FACT_INPUT.map(q).join(', ')} FROM ${source}) AS rows_in) ` +
    `SELECT customer_id, 'link' AS kind, uid AS user_id, aid AS from_id, min(ts) AS first_seen_at, max(ts) AS last_seen_at, ${none} AS value ` +
    'FROM clean WHERE aid IS NOT NULL AND uid IS NOT NULL GROUP BY customer_id, uid, aid ' +
    `UNION ALL SELECT customer_id, 'alias', uid, prev, min(ts), max(ts), ${none} ` +
    "FROM clean WHERE type = 'alias' AND uid IS NOT NULL AND prev IS NOT NULL AND prev <> uid GROUP BY customer_id, uid, prev " +
    `UNION ALL SELECT customer_id, 'seen', uid, '', min(ts), max(ts), ${none} FROM clean WHERE uid IS NOT NULL GROUP BY customer_id, uid ` +
    `UNION ALL SELECT customer_id, 'trait', uid, k, min(ts), max(ts), max_by(v, ts) FROM (${traitRows(dialect)}) AS tr GROUP BY customer_id, uid, k`
  );
}

/**
 * The graph's common part, from a facts relation `facts`: `known` (user ids), `canon` (each user id's
 * person after at most IDENTITY_RULES.aliasHops user-to-user aliases) and `linked` (each anonymous id ×
 * person pair, first and last seen, shared or not, merged or not). Every join and window is per customer.
 */
function graph(facts: string): string {
  const hops = Array.from({ length: IDENTITY_RULES.aliasHops }, (_, i) => i + 1);
  const same = (a: string, b: string) => `${a}.customer_id = ${b}.customer_id`;
  return (
    `known AS (SELECT DISTINCT customer_id, user_id AS uid FROM ${facts} WHERE kind = 'seen'), ` +
    // An alias from one user id to another: the old one's person is the new one's (its latest alias).
    `merges AS (SELECT f.customer_id, f.from_id AS from_uid, max_by(f.user_id, f.last_seen_at) AS to_uid FROM ${facts} f ` +
    `JOIN known k ON ${same('k', 'f')} AND k.uid = f.from_id WHERE f.kind = 'alias' GROUP BY f.customer_id, f.from_id), ` +
    `canon AS (SELECT k.customer_id, k.uid, coalesce(${[...hops]
      .reverse()
      .map((h) => `m${h}.to_uid`)
      .join(', ')}, k.uid) AS person FROM known k ` +
    hops
      .map(
        (h) =>
          `LEFT JOIN merges m${h} ON ${same(`m${h}`, 'k')} AND m${h}.from_uid = ${h === 1 ? 'k.uid' : `m${h - 1}.to_uid`}`,
      )
      .join(' ') +
    '), ' +
    // Every anonymous id seen with a user id: in one message, or as an alias's previous id that is no user's.
    `pairs AS (SELECT customer_id, from_id AS aid, user_id AS uid, first_seen_at, last_seen_at FROM ${facts} WHERE kind = 'link' ` +
    `UNION ALL SELECT f.customer_id, f.from_id, f.user_id, f.first_seen_at, f.last_seen_at FROM ${facts} f ` +
    `LEFT JOIN known k ON ${same('k', 'f')} AND k.uid = f.from_id WHERE f.kind = 'alias' AND k.uid IS NULL), ` +
    'seen AS (SELECT p.customer_id, p.aid AS anonymous_id, c.person AS user_id, min(p.first_seen_at) AS first_seen_at, ' +
    `max(p.last_seen_at) AS last_seen_at FROM pairs p JOIN canon c ON ${same('c', 'p')} AND c.uid = p.uid GROUP BY p.customer_id, p.aid, c.person), ` +
    'flagged AS (SELECT *, count(*) OVER (PARTITION BY customer_id, anonymous_id) > 1 AS shared FROM seen), ' +
    'linked AS (SELECT *, NOT shared AND row_number() OVER (PARTITION BY customer_id, user_id, shared ORDER BY first_seen_at, anonymous_id) ' +
    `<= ${IDENTITY_RULES.anonymousIdsPerUser} AS merged FROM flagged)`
  );
}

/**
 * A time column as each engine's relation gives it: on AWS as `timestamp(3)`, the type a Glue view's
 * metadata names (the facts table's Iceberg timestamps are microseconds).
 */
const time = (dialect: Dialect, column: string) =>
  dialect === 'athena' ? `CAST(${column} AS timestamp(3)) AS ${column.replace(/^\w+\./, '')}` : column;

/** The columns of the two relations on AWS (the Glue views'), in order. */
export const IDENTITIES_COLUMNS = [
  { name: 'customer_id', type: 'string' },
  { name: 'anonymous_id', type: 'string' },
  { name: 'user_id', type: 'string' },
  { name: 'first_seen_at', type: 'timestamp' },
  { name: 'last_seen_at', type: 'timestamp' },
  { name: 'shared', type: 'boolean' },
  { name: 'merged', type: 'boolean' },
];
export const USERS_COLUMNS = [
  { name: 'customer_id', type: 'string' },
  { name: 'user_id', type: 'string' },
  { name: 'anonymous_ids', type: 'array<string>' },
  { name: 'traits', type: 'string' },
  { name: 'first_seen_at', type: 'timestamp' },
  { name: 'last_seen_at', type: 'timestamp' },
];

/**
 * `identities`: every anonymous id × person pair of the facts, with its flags (and `customer_id` on AWS).
 *
 * @internal
 */
export function identitiesSql(dialect: Dialect, facts: string): string {
  const customer = dialect === 'athena' ? 'customer_id, ' : '';
  return (
    `WITH ${graph(facts)} SELECT ${customer}anonymous_id, user_id, ${time(dialect, 'first_seen_at')}, ${time(dialect, 'last_seen_at')}, shared, merged ` +
    'FROM linked ORDER BY user_id, first_seen_at, anonymous_id'
  );
}

/**
 * `users`: each person (a user id, aliases followed), the anonymous ids merged into them (first seen
 * first), the latest value of each trait of their identify calls (JSON text), and when they were first
 * and last seen under any of their user ids.
 *
 * @internal
 */
export function usersSql(dialect: Dialect, facts: string): string {
  const customer = dialect === 'athena' ? 't.customer_id, ' : '';
  const traitsObject =
    dialect === 'duckdb'
      ? 'CAST(json_group_object(trait, CAST(value AS JSON)) AS VARCHAR)'
      : 'json_format(CAST(map_agg(trait, json_parse(value)) AS JSON))';
  // First seen first. DuckDB: a list of (first seen, id) pairs sorted, not an ordered aggregate — DuckDB
  // holds an ordered aggregate's every group in memory, and at 1 M users (10 M anonymous ids) that ran
  // out of its 2 GB (npm run bench -- --only identity).
  const anonymousIds =
    dialect === 'duckdb'
      ? 'list_transform(list_sort(list(struct_pack(f := first_seen_at, a := anonymous_id))), x -> x.a)'
      : 'array_agg(anonymous_id ORDER BY first_seen_at, anonymous_id)';
  const none = dialect === 'duckdb' ? 'CAST([] AS VARCHAR[])' : 'CAST(ARRAY[] AS array(varchar))';
  const byPerson = (kind: string, columns: string) =>
    `SELECT f.customer_id, c.person, ${columns} FROM ${facts} f JOIN canon c ON c.customer_id = f.customer_id AND c.uid = f.user_id WHERE f.kind = '${kind}'`;
  return (
    `WITH ${graph(facts)}, ` +
    `tv AS (${byPerson('trait', 'f.from_id AS trait, max_by(f.value, f.last_seen_at) AS value')} GROUP BY f.customer_id, c.person, f.from_id), ` +
    `traits AS (SELECT customer_id, person, ${traitsObject} AS traits FROM tv GROUP BY customer_id, person), ` +
    `times AS (${byPerson('seen', 'min(f.first_seen_at) AS first_seen_at, max(f.last_seen_at) AS last_seen_at')} GROUP BY f.customer_id, c.person), ` +
    `anons AS (SELECT customer_id, user_id AS person, ${anonymousIds} AS anonymous_ids FROM linked WHERE merged GROUP BY customer_id, user_id) ` +
    `SELECT ${customer}t.person AS user_id, coalesce(a.anonymous_ids, ${none}) AS anonymous_ids, coalesce(tr.traits, '{}') AS traits, ` +
    `${time(dialect, 't.first_seen_at')}, ${time(dialect, 't.last_seen_at')} FROM times t ` +
    'LEFT JOIN anons a ON a.customer_id = t.customer_id AND a.person = t.person ' +
    'LEFT JOIN traits tr ON tr.customer_id = t.customer_id AND tr.person = t.person ORDER BY user_id'
  );
}

/** Locally: one customer's facts from its curated rows, as a CTE named `facts` before the graph. */
const localFacts = (table: (name: string) => string, customerId: string) =>
  `(${identityFactsSql('duckdb', `${table(CURATED_TABLE)} WHERE customer_id = ${literal(customerId)}`)})`;

/** The `identities` rows of one customer (DuckDB), from its curated rows. */
export function duckdbIdentitiesSql(table: (name: string) => string, customerId: string): string {
  return identitiesSql('duckdb', localFacts(table, customerId));
}

/** The `users` rows of one customer (DuckDB), from its curated rows. */
export function duckdbUsersSql(table: (name: string) => string, customerId: string): string {
  return usersSql('duckdb', localFacts(table, customerId));
}

// ---------------------------------------------------------------------------------------------- Athena

/**
 * The facts table on AWS, created by the compaction job (once). Partitioned by a hash of the customer
 * into IDENTITY_FACT_BUCKETS, so a MERGE of any number of customers writes at most that many partitions
 * (Athena's limit per statement: ATHENA_RULES.partitionsPerStatement, with its doc link). Like the curated table, an OPTIMIZE rewrites every data file with a delete
 * file (an erase's) and VACUUM expires snapshots older than the erase pass allows.
 */
/** @internal */
export const IDENTITY_FACT_BUCKETS = 16;

export function athenaCreateIdentityFacts(database: string, location: string): string {
  return `CREATE TABLE IF NOT EXISTS ${q(database)}.${q(IDENTITY_FACTS_TABLE)} (
  customer_id string, kind string, user_id string, from_id string, first_seen_at timestamp, last_seen_at timestamp, value string
)
PARTITIONED BY (bucket(${IDENTITY_FACT_BUCKETS}, customer_id))
LOCATION ${literal(location)}
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd', 'optimize_rewrite_data_file_threshold' = '1', 'optimize_rewrite_delete_file_threshold' = '1', 'vacuum_max_snapshot_age_seconds' = '${SNAPSHOT_AGE_SECONDS}', 'vacuum_min_snapshots_to_keep' = '1')`;
}

/** The facts table's small files (each item's MERGE writes some) and erased rows rewritten. */
export function athenaOptimizeIdentityFacts(database: string): string {
  return `OPTIMIZE ${q(database)}.${q(IDENTITY_FACTS_TABLE)} REWRITE DATA USING BIN_PACK`;
}

/** The facts table's expired snapshots and their files removed. */
export function athenaVacuumIdentityFacts(database: string): string {
  return `VACUUM ${q(database)}.${q(IDENTITY_FACTS_TABLE)}`;
}

const FACT_COLUMNS = ['customer_id', 'kind', 'user_id', 'from_id', 'first_seen_at', 'last_seen_at', 'value'];

/**
 * New facts folded into the table: a MERGE on the fact's key, earliest first seen, latest last seen,
 * the value of the later one. Idempotent: the same rows merged twice change nothing. `customers` adds
 * the plain conjunct Iceberg prunes the target by (ATHENA_RULES.prunablePredicates).
 */
function athenaMergeIdentityFacts(database: string, source: string, customers?: readonly string[]): string {
  const only = customers ? `t.customer_id IN (${customers.map(literal).join(', ')}) AND ` : '';
  const earliest = (c: string) => `coalesce(least(t.${c}, s.${c}), t.${c}, s.${c})`;
  const latest = (c: string) => `coalesce(greatest(t.${c}, s.${c}), t.${c}, s.${c})`;
  return `MERGE INTO ${q(database)}.${q(IDENTITY_FACTS_TABLE)} AS t
USING (${identityFactsSql('athena', source)}) AS s
ON ${only}t.customer_id = s.customer_id AND t.kind = s.kind AND t.user_id = s.user_id AND t.from_id = s.from_id
WHEN MATCHED THEN UPDATE SET first_seen_at = ${earliest('first_seen_at')}, last_seen_at = ${latest('last_seen_at')}, value = CASE WHEN t.last_seen_at IS NULL OR s.last_seen_at >= t.last_seen_at THEN s.value ELSE t.value END
WHEN NOT MATCHED THEN INSERT (${FACT_COLUMNS.join(', ')}) VALUES (${FACT_COLUMNS.map((c) => `s.${c}`).join(', ')})`;
}

/**
 * Whose identity facts a statement reads from the curated table: customers from a day on (a run's live
 * customers from its earliest staged day), and customers' day ranges (a run's backlog items).
 */
export interface IdentityFactsScope {
  customers: { customerId: string; since: string }[];
  ranges: { customerId: string; from: string; to: string }[];
}

const FACT_SOURCE_COLUMNS = FACT_INPUT.map(q);

/**
 * The curated rows of a scope: its customers from the earliest day any of them is named from, and each
 * backlog customer's ranges as one span. A superset at worst (facts fold: rows read twice change
 * nothing), whose text names each customer once: ~20 bytes a customer, whatever the pending runs.
 */
function curatedScope(database: string, scope: IdentityFactsScope): string {
  const since = scope.customers.map((c) => c.since).sort()[0];
  const spans = new Map<string, { from: string; to: string }>();
  for (const r of scope.ranges) {
    const known = spans.get(r.customerId);
    spans.set(r.customerId, {
      from: known && known.from < r.from ? known.from : r.from,
      to: known && known.to > r.to ? known.to : r.to,
    });
  }
  const terms = [
    ...(since ? [`event_date >= DATE ${literal(since)}`] : []),
    ...[...spans].map(
      ([customerId, r]) =>
        `(customer_id = ${literal(customerId)} AND event_date BETWEEN DATE ${literal(r.from)} AND DATE ${literal(r.to)})`,
    ),
  ];
  const customers = [...new Set([...scope.customers.map((c) => c.customerId), ...spans.keys()])];
  return `SELECT ${FACT_SOURCE_COLUMNS.join(', ')} FROM ${q(database)}.${q(CURATED_TABLE)} WHERE customer_id IN (${customers.map(literal).join(', ')}) AND (${terms.join(' OR ')})`;
}

/**
 * A run's identity facts, folded into the table by one statement after its MERGE items: the live
 * customers' staged rows (every copy: facts fold, so a copy changes nothing), and the curated rows of
 * the days its backlog items merged.
 */
export function athenaMergeRunIdentities(
  database: string,
  runId: string,
  liveCustomers: readonly string[],
  ranges: IdentityFactsScope['ranges'],
): string {
  const parts = [
    ...(liveCustomers.length > 0
      ? [
          `SELECT ${FACT_SOURCE_COLUMNS.join(', ')} FROM ${athenaStagedRows(database, runId, liveCustomers)} AS staged`,
        ]
      : []),
    ...(ranges.length > 0 ? [curatedScope(database, { customers: [], ranges })] : []),
  ];
  return athenaMergeIdentityFacts(database, `(${parts.join(' UNION ALL ')}) AS run_rows`);
}

/**
 * The facts of the whole curated table — once, when the facts table is new (a lake from before it) —
 * or of a scope earlier runs could not merge. The same MERGE: run again, it changes nothing.
 */
export function athenaBackfillIdentityFacts(database: string, scope?: IdentityFactsScope): string {
  return athenaMergeIdentityFacts(
    database,
    scope ? `(${curatedScope(database, scope)}) AS pending_rows` : `${q(database)}.${q(CURATED_TABLE)}`,
  );
}

/** The `identities` and `users` views on AWS: the graph over the facts table. */
export function athenaIdentityViews(database: string): { identities: string; users: string } {
  const facts = `${q(database)}.${q(IDENTITY_FACTS_TABLE)}`;
  return { identities: identitiesSql('athena', facts), users: usersSql('athena', facts) };
}
