import {
  ATHENA_TYPES,
  CURATED_COLUMNS,
  CURATED_PARTITIONS,
  CURATED_TABLE,
  type CuratedType,
  DUCKDB_TYPES,
} from '../curated-table';
import { duckdbAreaColumns, duckdbReadCurated } from './duckdb-lake-sql';
import { identifier, literal } from './sql-text';

/**
 * The curated table's SQL, for both engines, from one place: DuckDB over the local lake, Athena
 * (Trino dialect, Iceberg) on AWS. The same column expressions and the same "first received wins"
 * rule in both; a test runs the DuckDB statements on fixtures and checks the Athena ones' shape.
 * Pure: text in, text out.
 */
export type Dialect = 'duckdb' | 'athena';

const q = identifier;

/** The expression of one curated column, from a landing row aliased `l`. */
function columnExpression(
  dialect: Dialect,
  name: string,
  type: CuratedType,
  from: 'field' | 'message',
): string {
  const source = `l.${q(name)}`;
  if (from === 'message')
    return dialect === 'duckdb'
      ? `CAST(json_extract(l.message, ${literal(`$.${name}`)}) AS VARCHAR)`
      : `json_format(json_extract(l.message, ${literal(`$.${name}`)}))`;
  switch (type) {
    case 'timestamp':
      // ISO-8601 text with a zone, as UTC; unreadable text gives NULL (the row is kept, message holds it).
      return dialect === 'duckdb'
        ? `CAST(try_cast(${source} AS TIMESTAMPTZ) AS TIMESTAMP)`
        : `try(CAST(from_iso8601_timestamp(${source}) AT TIME ZONE 'UTC' AS timestamp(6)))`;
    case 'json':
      // Landing `message` is JSON text in Athena and JSON in DuckDB; violations an array of structs.
      if (dialect === 'duckdb') return `CAST(to_json(${source}) AS VARCHAR)`;
      return name === 'message' ? source : `json_format(CAST(${source} AS JSON))`;
    default:
      return source;
  }
}

/** `event_date`: the line's own, or (lines landed before it existed) its landing-era `dt`. */
function eventDateExpression(dialect: Dialect): string {
  return dialect === 'duckdb'
    ? 'coalesce(try_cast(l.event_date AS DATE), try_cast(l.dt AS DATE))'
    : 'coalesce(try(CAST(l.event_date AS date)), try(CAST(l.dt AS date)))';
}

/** The curated columns, partitions last, as `expression AS name`, from landing rows aliased `l`. */
export function curatedSelectList(dialect: Dialect): string {
  // DuckDB: each column cast to its type, so a file whose rows are all NULL in it is still typed.
  const typed = (expression: string, type: CuratedType) =>
    dialect === 'duckdb' ? `CAST(${expression} AS ${DUCKDB_TYPES[type]})` : expression;
  return [
    ...CURATED_COLUMNS.map(
      (c) => `${typed(columnExpression(dialect, c.name, c.type, c.from), c.type)} AS ${q(c.name)}`,
    ),
    `l.customer_id AS ${q('customer_id')}`,
    `${eventDateExpression(dialect)} AS ${q('event_date')}`,
  ].join(',\n  ');
}

/** Every curated column name, partitions last. */
export const CURATED_COLUMN_NAMES = [
  ...CURATED_COLUMNS.map((c) => c.name),
  ...CURATED_PARTITIONS.map((p) => p.name),
] as const;

/** The order that decides which copy of a message is kept: the first received. */
export const FIRST_RECEIVED = 'received_at ASC NULLS LAST, request_id ASC NULLS LAST';

/** Keeps one row per `(customer_id, message_id)` of `source` (a subquery or table): the first received. */
export function firstReceived(source: string): string {
  const columns = CURATED_COLUMN_NAMES.map(q).join(', ');
  return `SELECT ${columns} FROM (
  SELECT ${columns}, row_number() OVER (PARTITION BY customer_id, message_id ORDER BY ${FIRST_RECEIVED}) AS keep_rank
  FROM (${source}) AS candidates
) AS ranked WHERE keep_rank = 1`;
}

// ---------------------------------------------------------------------------------------------- DuckDB

/** DuckDB's reader of landing event objects (gzip JSON lines), with each row's object path. */
export function duckdbReadLanding(files: readonly string[]): string {
  const columns = duckdbAreaColumns('events')
    .map(([name, type]) => `${q(name)}: ${literal(type)}`)
    .join(', ');
  return `read_json([${files.map(literal).join(', ')}], format = 'newline_delimited', compression = 'gzip', hive_partitioning = false, filename = true, columns = {${columns}})`;
}

/**
 * The rows of the touched partitions after a run: the existing curated rows of those partitions and
 * the incoming landing rows, one per message, the first received. Written by the caller with
 * `COPY … (FORMAT parquet, PARTITION_BY (customer_id, event_date))`.
 */
export function duckdbMergedPartitions(incomingTable: string, existingFiles: readonly string[]): string {
  const columns = CURATED_COLUMN_NAMES.map(q).join(', ');
  const existing =
    existingFiles.length > 0 ? `\nUNION ALL\nSELECT ${columns} FROM ${duckdbReadCurated(existingFiles)}` : '';
  return `${firstReceived(`SELECT ${columns} FROM ${incomingTable}${existing}`)}
ORDER BY customer_id, event_date, received_at, message_id`;
}

/** The `CREATE TABLE … AS` of a run's incoming rows, typed as the curated table, with their object. */
export function duckdbIncoming(table: string, files: readonly string[]): string {
  return `CREATE OR REPLACE TEMP TABLE ${table} AS
SELECT
  ${curatedSelectList('duckdb')},
  l.filename AS landing_object
FROM ${duckdbReadLanding(files)} AS l`;
}

// ---------------------------------------------------------------------------------------------- Athena

/** The curated Iceberg table (created by the compaction job itself, once). */
export function athenaCreateCuratedTable(database: string, location: string): string {
  const columns = [
    ...CURATED_COLUMNS.map((c) => `${q(c.name)} ${ATHENA_TYPES[c.type]}`),
    ...CURATED_PARTITIONS.map((p) => `${q(p.name)} ${ATHENA_TYPES[p.type]}`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${q(database)}.${q(CURATED_TABLE)} (
  ${columns.join(',\n  ')}
)
PARTITIONED BY (customer_id, event_date)
LOCATION ${literal(location)}
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd')`;
}

/** The compaction job's own state: the landing objects it has taken, and each run's batch. */
export const COMPACTION_STATE_TABLES = {
  taken: 'compaction_taken_objects',
  batch: 'compaction_batches',
} as const;

export function athenaCreateStateTables(database: string, location: string): string[] {
  const table = (name: string, columns: string) =>
    `CREATE TABLE IF NOT EXISTS ${q(database)}.${q(name)} (${columns})
LOCATION ${literal(`${location}${name}/`)}
TBLPROPERTIES ('table_type' = 'ICEBERG')`;
  return [
    table(COMPACTION_STATE_TABLES.taken, 'object string, run_id string, taken_at timestamp'),
    table(COMPACTION_STATE_TABLES.batch, 'run_id string, object string, customer_id string, month string'),
  ];
}

/**
 * Where the state machine puts the run's and the work item's values into a statement (lib/
 * curated-compaction.ts swaps each for a JSONata expression); tests and tools pass real values.
 */
export const SQL_TOKENS = {
  runId: '__RUN_ID__',
  customer: '__CUSTOMER_ID__',
  month: '__MONTH__',
  lookbackDays: '__LOOKBACK_DAYS__',
} as const;

/**
 * A run's batch: the landing objects not taken yet, received in the last `lookbackDays` days (objects
 * Firehose delivers late still fall inside it), each with the customer × event month it touches. The
 * batch is fixed here, so objects that land during the run wait for the next one.
 */
export function athenaPlanBatch(database: string, runId: string, lookbackDays: string): string {
  const d = q(database);
  return `INSERT INTO ${d}.${q(COMPACTION_STATE_TABLES.batch)}
SELECT DISTINCT ${literal(runId)}, l."$path", l.customer_id,
  date_format(${eventDateExpression('athena')}, '%Y-%m')
FROM ${d}.events AS l
WHERE l.received_dt >= date_format(current_date - INTERVAL ${literal(lookbackDays)} DAY, '%Y-%m-%d')
  AND l."$path" NOT IN (SELECT object FROM ${d}.${q(COMPACTION_STATE_TABLES.taken)})`;
}

/** The work items of a run: one per customer × event month (at most 31 partitions each). */
export function athenaBatchItems(database: string, runId: string): string {
  return `SELECT DISTINCT customer_id, month FROM ${q(database)}.${q(COMPACTION_STATE_TABLES.batch)}
WHERE run_id = ${literal(runId)} ORDER BY customer_id, month`;
}

/**
 * One work item: the batch's rows of one customer and event month (`YYYY-MM`), merged into the curated
 * table on `(customer_id, message_id)` within that month's partitions (at most 31, under Athena's 100
 * per statement); an existing row is replaced only by a copy received earlier, so a re-run changes
 * nothing.
 */
export function athenaMergeItem(database: string, runId: string, customerId: string, month: string): string {
  if (!/^\d{4}-\d{2}$/.test(month) && month !== SQL_TOKENS.month) throw new Error(`not a month: ${month}`);
  const d = q(database);
  const first = `CAST(${literal(`${month}-01`)} AS date)`;
  const inMonth = (column: string) => `${column} >= ${first} AND ${column} < date_add('month', 1, ${first})`;
  const names = CURATED_COLUMN_NAMES.map(q);
  const source = firstReceived(`SELECT
  ${curatedSelectList('athena')}
FROM ${d}.events AS l
WHERE l.customer_id = ${literal(customerId)}
  AND l."$path" IN (SELECT object FROM ${d}.${q(COMPACTION_STATE_TABLES.batch)}
    WHERE run_id = ${literal(runId)} AND customer_id = ${literal(customerId)} AND month = ${literal(month)})`);
  return `MERGE INTO ${d}.${q(CURATED_TABLE)} AS t
USING (SELECT * FROM (${source}) AS firsts WHERE ${inMonth('event_date')}) AS s
ON t.customer_id = ${literal(customerId)} AND ${inMonth('t.event_date')}
  AND t.customer_id = s.customer_id AND t.event_date = s.event_date AND t.message_id = s.message_id
WHEN MATCHED AND s.received_at < t.received_at THEN UPDATE SET ${CURATED_COLUMNS.map((c) => `${q(c.name)} = s.${q(c.name)}`).join(', ')}
WHEN NOT MATCHED THEN INSERT (${names.join(', ')}) VALUES (${names.map((n) => `s.${n}`).join(', ')})`;
}

/** Written last: the batch's objects are taken. */
export function athenaMarkTaken(database: string, runId: string): string {
  const d = q(database);
  return `INSERT INTO ${d}.${q(COMPACTION_STATE_TABLES.taken)}
SELECT DISTINCT object, run_id, current_timestamp FROM ${d}.${q(COMPACTION_STATE_TABLES.batch)}
WHERE run_id = ${literal(runId)}
  AND object NOT IN (SELECT object FROM ${d}.${q(COMPACTION_STATE_TABLES.taken)})`;
}

/** Small files merged and expired snapshots removed, after the merges. */
export function athenaMaintenance(database: string): string[] {
  const t = `${q(database)}.${q(CURATED_TABLE)}`;
  return [`OPTIMIZE ${t} REWRITE DATA USING BIN_PACK`, `VACUUM ${t}`];
}
