import {
  ATHENA_TYPES,
  CURATED_COLUMNS,
  CURATED_FILE_COLUMNS,
  CURATED_MONTH,
  CURATED_PARTITIONS,
  CURATED_TABLE,
  type CuratedType,
  DUCKDB_TYPES,
  itemMonths,
  type MergeItem,
  monthBounds,
  STAGING_TABLE,
} from '../curated-table';
import { NO_EVENT_DATE } from '../formats';
import { ATHENA_RULES } from './athena-rules';
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
      ? `CAST(l.${LIFTED}[${LIFTED_FIELDS.indexOf(name) + 1}] AS VARCHAR)`
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

/** The curated columns lifted out of `message`. */
const LIFTED_FIELDS: readonly string[] = CURATED_COLUMNS.filter((c) => c.from === 'message').map(
  (c) => c.name,
);
const LIFTED = '__lifted';

/**
 * DuckDB: a landing source with the message's lifted fields extracted by one `json_extract` of all
 * their paths, read by curatedSelectList as `l.__lifted[i]`. One parse per message, not one per
 * field: each parse of a 2,048-row vector of 30 KB messages holds ~60 MiB, and four of them ran
 * DuckDB out of a 1 GiB limit on one maximal object (docs/lake.md, "Bounds").
 *
 * @internal
 */
export function duckdbLifted(source: string): string {
  const paths = LIFTED_FIELDS.map((name) => literal(`$.${name}`)).join(', ');
  return `(SELECT *, json_extract(message, [${paths}]) AS ${LIFTED} FROM ${source})`;
}

/**
 * `event_date`: the line's own, or (lines landed before it existed) its landing-era `dt`. A line of a
 * release before 2026-12-07 dated `1970-01-01` (a message with no time at all) takes its receive date,
 * as ingest dates such a message now (timestamps.ts, eventDating).
 */
function eventDateExpression(dialect: Dialect): string {
  const undated = `l.event_date = ${literal(NO_EVENT_DATE)}`;
  return dialect === 'duckdb'
    ? `CASE WHEN ${undated} THEN try_cast(substr(l.received_at, 1, 10) AS DATE) ELSE coalesce(try_cast(l.event_date AS DATE), try_cast(l.dt AS DATE)) END`
    : `CASE WHEN ${undated} THEN try(CAST(substr(l.received_at, 1, 10) AS date)) ELSE coalesce(try(CAST(l.event_date AS date)), try(CAST(l.dt AS date))) END`;
}

/**
 * Whether the row's event date came from `sentAt` (a resend may carry another): such a message's first
 * copy is found by its id across the customer's partitions, not in its date's (docs/lake.md). Lines
 * landed before the flag existed count as dated by a stable field.
 */
export const SENT_AT_DATED = 'sent_at_dated';
// A line dated 1970-01-01 by an earlier release is dated by its receive date now: found by id, as a
// message dated by `sentAt` is.
const sentAtDatedExpression = `(coalesce(l.event_date_from_sent_at, false) OR coalesce(l.event_date = ${literal(NO_EVENT_DATE)}, false))`;

/**
 * The curated columns, partitions last, as `expression AS name`, from landing rows aliased `l`.
 *
 * @internal
 */
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
const CURATED_COLUMN_NAMES = [
  ...CURATED_COLUMNS.map((c) => c.name),
  ...CURATED_PARTITIONS.map((p) => p.name),
] as const;

/** The order that decides which copy of a message is kept: the first received. */
const FIRST_RECEIVED = 'received_at ASC NULLS LAST, request_id ASC NULLS LAST';

/**
 * Keeps one row per `(customer_id, message_id)` of `source` (a subquery or table): the first received,
 * with the curated columns and any `extra` column of the source.
 *
 * @internal
 */
export function firstReceived(source: string, extra: readonly string[] = []): string {
  const columns = [...CURATED_COLUMN_NAMES, ...extra].map(q).join(', ');
  return `SELECT ${columns} FROM (
  SELECT ${columns}, row_number() OVER (PARTITION BY customer_id, message_id ORDER BY ${FIRST_RECEIVED}) AS keep_rank
  FROM (${source}) AS candidates
) AS ranked WHERE keep_rank = 1`;
}

// ---------------------------------------------------------------------------------------------- DuckDB

/** DuckDB's reader of landing event objects (gzip JSON lines), with each row's object path. */
function duckdbReadLanding(files: readonly string[]): string {
  const columns = duckdbAreaColumns('events')
    .map(([name, type]) => `${q(name)}: ${literal(type)}`)
    .join(', ');
  return `read_json([${files.map(literal).join(', ')}], format = 'newline_delimited', compression = 'gzip', hive_partitioning = false, filename = true, columns = {${columns}})`;
}

/**
 * The rows of the touched partitions after a run: the existing curated rows of those partitions and
 * the incoming landing rows, one per message, the first received, in event-time order. The caller
 * writes each partition (customer, month) to its own file.
 */
export function duckdbMergedPartitions(incomingTable: string, existingFiles: readonly string[]): string {
  const columns = CURATED_COLUMN_NAMES.map(q).join(', ');
  const existing =
    existingFiles.length > 0 ? `\nUNION ALL\nSELECT ${columns} FROM ${duckdbReadCurated(existingFiles)}` : '';
  return `${firstReceived(`SELECT ${columns} FROM ${incomingTable}${existing}`)}
ORDER BY customer_id, event_date, "timestamp" NULLS LAST, message_id`;
}

/**
 * The `CREATE TABLE … AS` of a run's incoming rows, typed as the curated table, with their object and
 * whether `sentAt` dated them.
 */
export function duckdbIncoming(table: string, files: readonly string[]): string {
  return `CREATE OR REPLACE TEMP TABLE ${table} AS
SELECT
  ${curatedSelectList('duckdb')},
  ${sentAtDatedExpression} AS ${SENT_AT_DATED},
  l.filename AS landing_object
FROM ${duckdbLifted(duckdbReadLanding(files))} AS l`;
}

/**
 * Rows per Parquet row group in a curated file: DuckDB's default, 122,880. A file holds a customer's
 * month sorted by event time, so a customer sending more than that a month gets several groups, each a
 * run of days whose `event_date` statistics let a query skip the rest. Smaller groups (16,384) read
 * more bytes on the lake bench (more footer, same groups read): docs/decisions/0005-curated-layout.md.
 */
const CURATED_ROW_GROUP_ROWS = 122_880;

/**
 * The `COPY` that writes one partition's file (a customer's month) from `table` (the curated columns):
 * the file's columns (CURATED_FILE_COLUMNS), its rows in event-time order so row groups cover runs of
 * days.
 */
export function duckdbWritePartition(table: string, customerId: string, month: string, file: string): string {
  const { first, next } = monthBounds(month);
  const before = next ? ` AND event_date < DATE ${literal(next)}` : '';
  return `COPY (SELECT ${CURATED_FILE_COLUMNS.map(q).join(', ')} FROM ${table}
WHERE customer_id = ${literal(customerId)} AND event_date >= DATE ${literal(first)}${before}
ORDER BY event_date, "timestamp" NULLS LAST, message_id)
TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${CURATED_ROW_GROUP_ROWS})`;
}

/**
 * Incoming rows dated by `sentAt` whose message the curated table already holds (in `curatedFiles`, a
 * customer's every partition) take that row's event date: one row per message, whatever date a resend
 * carries. The touched partitions are read from `incoming` after this.
 */
export function duckdbResolveSentAtDates(incomingTable: string, curatedFiles: readonly string[]): string {
  return `UPDATE ${incomingTable} AS i SET event_date = k.event_date
FROM (SELECT DISTINCT customer_id, message_id, event_date FROM ${duckdbReadCurated(curatedFiles)}) AS k
WHERE i.${SENT_AT_DATED} AND k.customer_id = i.customer_id AND k.message_id = i.message_id`;
}

// ---------------------------------------------------------------------------------------------- Athena

/**
 * The Iceberg table's partition spec: the customer, and the month of the event date by Iceberg's hidden
 * partitioning (no column of its own; a filter on `event_date` prunes months).
 */
const CURATED_ICEBERG_PARTITIONING = CURATED_PARTITIONS.map((p) =>
  p.name === CURATED_MONTH.of ? `${CURATED_MONTH.transform}(${p.name})` : p.name,
);

/**
 * Files smaller than this are the ones OPTIMIZE rewrites (Athena's table property
 * `optimize_rewrite_min_data_file_size_bytes`). Athena's default, 0.75 × its 512 MB target file, would
 * rewrite a customer's whole month so far after every hourly MERGE once a partition is a month. Each
 * MERGE writes files of an hour of its customers (KB to a few MB); OPTIMIZE packs them until a file
 * reaches 8 MiB and then leaves it: a run rewrites at most ~8 MiB per partition it merged, and a month
 * ends as files of 8–16 MiB, each a run of days that its `event_date` statistics name.
 * https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-creating-tables.html
 */
export const OPTIMIZE_SMALL_FILE_BYTES = 8 * 1024 * 1024;

/**
 * The Iceberg table's properties (https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-creating-tables.html).
 * The two thresholds are 1, not Athena's 5 and 2, so that an OPTIMIZE rewrites every small file and
 * every data file with a delete file it selects: the erase pass's OPTIMIZE must leave no erased row in
 * any data file (docs/privacy.md), and the hourly one then packs each partition's new files at once.
 */
const CURATED_TABLE_PROPERTIES = {
  table_type: 'ICEBERG',
  format: 'parquet',
  write_compression: 'zstd',
  optimize_rewrite_min_data_file_size_bytes: String(OPTIMIZE_SMALL_FILE_BYTES),
  // A partition with fewer files to rewrite than this is left as it is (Athena's default: 5).
  optimize_rewrite_data_file_threshold: '1',
  // A data file with fewer delete files than this is not rewritten (Athena's default: 2).
  optimize_rewrite_delete_file_threshold: '1',
} as const;

/** The curated Iceberg table (created by the compaction job itself, once). */
export function athenaCreateCuratedTable(database: string, location: string): string {
  const columns = [
    ...CURATED_COLUMNS.map((c) => `${q(c.name)} ${ATHENA_TYPES[c.type]}`),
    ...CURATED_PARTITIONS.map((p) => `${q(p.name)} ${ATHENA_TYPES[p.type]}`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${q(database)}.${q(CURATED_TABLE)} (
  ${columns.join(',\n  ')}
)
PARTITIONED BY (${CURATED_ICEBERG_PARTITIONING.join(', ')})
LOCATION ${literal(location)}
TBLPROPERTIES (${Object.entries(CURATED_TABLE_PROPERTIES)
    .map(([key, value]) => `'${key}' = '${value}'`)
    .join(', ')})`;
}

/** A run's rows per customer and event day: what `packMergeItems` packs into statements of ≤ 100 partitions. */
export function athenaStagedPartitions(
  database: string,
  runId: string,
  customers: readonly string[],
): string {
  return `SELECT customer_id, CAST(event_date AS varchar) AS event_date, count(*) AS row_count, ${SENT_AT_DATED}
FROM (SELECT l.customer_id, ${eventDateExpression('athena')} AS event_date, ${sentAtDatedExpression} AS ${SENT_AT_DATED}
  FROM ${staging(database, runId, customers)}) AS s
GROUP BY customer_id, event_date, ${SENT_AT_DATED} ORDER BY customer_id, event_date, ${SENT_AT_DATED}`;
}

/** The run's staged landing rows of some customers (the staging table's keys are injected: all literal). */
function staging(database: string, runId: string, customers: readonly string[]): string {
  if (customers.length === 0) throw new Error('a staged read needs at least one customer');
  return `${q(database)}.${q(STAGING_TABLE)} AS l
  WHERE l.run_id = ${literal(runId)} AND l.customer_id IN (${customers.map(literal).join(', ')})`;
}

/**
 * The item's days as a predicate on `alias`: the exact (customer, date) pairs as a row-value comparison,
 * and beside it the plain conjuncts Trino pushes into the scan (it does not push a row-value
 * comparison: ATHENA_RULES.prunablePredicates), so Iceberg prunes the months and files of other
 * customers and dates instead of reading every month of the item's customers.
 */
const dayList = (item: MergeItem, alias: string) => {
  const customers = [...new Set(item.days.map((p) => p.customerId))].map(literal);
  const dates = [...new Set(item.days.map((p) => p.eventDate))].sort().map((d) => `DATE ${literal(d)}`);
  return `${alias}.customer_id IN (${customers.join(', ')}) AND ${alias}.event_date IN (${dates.join(', ')}) AND (${alias}.customer_id, ${alias}.event_date) IN (${item.days
    .map((p) => `(${literal(p.customerId)}, DATE ${literal(p.eventDate)})`)
    .join(', ')})`;
};

/**
 * One MERGE of a run: the staged rows of the item's days (in at most 100 partitions: Athena's limit per
 * statement), one per message — the first received — merged on `(customer_id, message_id)`. An
 * existing row is replaced only by a copy received earlier, so running an item twice changes nothing.
 *
 * Where the target is read: for messages dated by a stable field, only on the item's days (every copy
 * has the same date; Iceberg prunes the months, then the files whose `event_date` range misses the
 * days); for messages dated by `sentAt` (`item.byId`), in every partition of the item's customers,
 * since a resend may carry another date. Such an earlier copy with another date leaves the row as it
 * is: replacing it would write a day outside the item.
 */
export function athenaMergeItem(database: string, runId: string, item: MergeItem): string {
  if (itemMonths(item).length > ATHENA_RULES.partitionsPerStatement.limit)
    throw new Error(`a MERGE may write at most ${ATHENA_RULES.partitionsPerStatement.limit} partitions`);
  const names = CURATED_COLUMN_NAMES.map(q);
  const customers = item.customers.map(literal).join(', ');
  const [target, sameDate] = item.byId
    ? [`t.customer_id IN (${customers})`, ' AND t.event_date = s.event_date']
    : [dayList(item, 't'), ''];
  return `MERGE INTO ${q(database)}.${q(CURATED_TABLE)} AS t
USING ${athenaItemRows(database, runId, item)} AS s
ON ${target} AND t.customer_id = s.customer_id AND t.message_id = s.message_id
WHEN MATCHED AND s.received_at < t.received_at${sameDate} THEN UPDATE SET ${CURATED_COLUMNS.map((c) => `${q(c.name)} = s.${q(c.name)}`).join(', ')}
WHEN NOT MATCHED THEN INSERT (${names.join(', ')}) VALUES (${names.map((n) => `s.${n}`).join(', ')})`;
}

/** A run's staged rows of some customers with the curated columns (every copy: no first-received pick). */
export function athenaStagedRows(database: string, runId: string, customers: readonly string[]): string {
  return `(SELECT
  ${curatedSelectList('athena')}
FROM ${staging(database, runId, customers)})`;
}

/**
 * The staged rows an item merges, one per message (the first received): those of its days, dated by
 * `sentAt` or not as the item is (`byId`). A subquery; its columns are the curated ones.
 */
function athenaItemRows(database: string, runId: string, item: MergeItem): string {
  const source = firstReceived(
    `SELECT
  ${curatedSelectList('athena')},
  ${sentAtDatedExpression} AS ${SENT_AT_DATED}
FROM ${staging(database, runId, item.customers)}`,
    [SENT_AT_DATED],
  );
  const which = item.byId ? `firsts.${SENT_AT_DATED}` : `NOT firsts.${SENT_AT_DATED}`;
  return `(SELECT * FROM (${source}) AS firsts WHERE ${dayList(item, 'firsts')} AND ${which})`;
}

/**
 * Small files of the item's partitions merged, right after its MERGE: nothing else is rewritten.
 * OPTIMIZE takes only partition predicates, so each partition is named by its customer and the whole
 * month of `event_date` (a range that `month(event_date)` enforces exactly).
 */
export function athenaOptimizeItem(database: string, item: MergeItem): string {
  const partitions = itemMonths(item).map(({ customerId, month }) => {
    const { first, next } = monthBounds(month);
    const before = next ? ` AND event_date < DATE ${literal(next)}` : '';
    return `(customer_id = ${literal(customerId)} AND event_date >= DATE ${literal(first)}${before})`;
  });
  return `OPTIMIZE ${q(database)}.${q(CURATED_TABLE)} REWRITE DATA USING BIN_PACK
WHERE ${partitions.join('\n  OR ')}`;
}

/**
 * Moves the rows an earlier release dated 1970-01-01 (a message with no time at all) to their receive
 * date, as ingest dates such a message now (docs/upgrading.md). Run before every run's MERGEs: it reads
 * only the `1970-01` month of each customer (the predicate prunes the partition transform), and once
 * the rows are moved it finds none.
 */
export function athenaMoveUndatedRows(database: string): string {
  return `UPDATE ${q(database)}.${q(CURATED_TABLE)} SET event_date = CAST(received_at AS date)
WHERE event_date = DATE ${literal(NO_EVENT_DATE)} AND received_at IS NOT NULL`;
}

/** Expired snapshots and their files removed (once a day: it touches the whole table's metadata). */
export function athenaVacuum(database: string): string {
  return `VACUUM ${q(database)}.${q(CURATED_TABLE)}`;
}
