import {
  AUDIENCE_COLUMNS,
  AUDIENCE_MEMBERS_FILE,
  AUDIENCE_PARTITIONS,
  AUDIENCES_AREA,
  AUDIENCES_TABLE,
} from '../audiences';
import {
  CURATED_AREA,
  CURATED_COLUMNS,
  CURATED_FILE,
  CURATED_MONTH,
  CURATED_PARTITIONS,
  CURATED_TABLE,
  DUCKDB_TYPES,
  SCORES_AREA,
  SCORES_COLUMNS,
  SCORES_FILE,
  SCORES_PARTITIONS,
  SCORES_TABLE,
} from '../curated-table';
import { duckdbType } from '../duckdb-types';
import { ERASED_ROWS_COLUMNS, ERASED_ROWS_TABLE } from '../erasure';
import { IDENTITIES_TABLE, IDENTITY_AREAS, USERS_TABLE } from '../identity';
import type { LakeArea } from '../lake-areas';
import { EVENT_FIELDS, type GlueType, LEDGER_FIELDS, QUARANTINE_FIELDS } from '../lake-records';
import {
  COMPLETENESS_VIEW,
  CURATED_COMPLETENESS_VIEW,
  completenessSql,
  curatedCompletenessSql,
  DUCKDB_EVENT_TIME,
  EVENTS_DEDUPLICATED_VIEW,
  eventsDeduplicatedSql,
  INTENT_OUTCOMES_VIEW,
  intentOutcomesSql,
} from './lake-views-sql';
import { literal } from './sql-text';

/**
 * The local lake as DuckDB sees it, under the names Athena uses: `events`, `quarantine` and `ledger`
 * (the landing zone, gzip JSON lines, with the `received_dt` partition column Athena has),
 * `events_curated` (Parquet), and the views `completeness` and `curated_completeness`. Views over
 * files only: querying never writes to the lake. Pure: the statements, for a caller to run.
 */

/** Fields that hold a JSON value in a landing line, read as DuckDB's JSON (Athena reads them as text). */
const JSON_FIELDS = new Set(['message', 'raw']);

const AREA_FIELDS: Record<LakeArea, Record<string, { glue: GlueType }>> = {
  events: EVENT_FIELDS,
  quarantine: QUARANTINE_FIELDS,
  ledger: LEDGER_FIELDS,
};

/** A landing area's columns as DuckDB types, from the contract. */
export function duckdbAreaColumns(area: LakeArea): [string, string][] {
  return Object.entries(AREA_FIELDS[area]).map(([name, f]) => [
    name,
    JSON_FIELDS.has(name) ? 'JSON' : duckdbType(f.glue),
  ]);
}

/** The statement of a landing area's view over its files; a typed empty view when there are none. */
export function duckdbAreaView(area: LakeArea, files: readonly string[]): string {
  const columns = duckdbAreaColumns(area);
  if (files.length === 0)
    return `CREATE OR REPLACE VIEW ${area} AS SELECT ${columns
      .map(([name, type]) => `CAST(NULL AS ${type}) AS "${name}"`)
      .join(', ')}, CAST(NULL AS VARCHAR) AS received_dt WHERE false`;
  const spec = columns.map(([name, type]) => `"${name}": '${type.replace(/'/g, "''")}'`).join(', ');
  return `CREATE OR REPLACE VIEW ${area} AS SELECT *, substr(received_at, 1, 10) AS received_dt
FROM read_json([${files.map(literal).join(', ')}], format = 'newline_delimited', compression = 'gzip', hive_partitioning = false, columns = {${spec}})`;
}

/**
 * DuckDB's reader of curated Parquet files: `customer_id` and the month from the path, `event_date`
 * and every other column from the file.
 */
export function duckdbReadCurated(files: readonly string[] | string): string {
  const list = typeof files === 'string' ? literal(files) : `[${files.map(literal).join(', ')}]`;
  return `read_parquet(${list}, hive_partitioning = true, hive_types = {'customer_id': VARCHAR, '${CURATED_MONTH.column}': VARCHAR})`;
}

/** The curated table's view over its Parquet files; typed and empty before the first compaction. */
export function duckdbCuratedView(lakeRoot: string, hasFiles: boolean): string {
  if (!hasFiles)
    return `CREATE OR REPLACE VIEW ${CURATED_TABLE} AS SELECT ${[...CURATED_COLUMNS, ...CURATED_PARTITIONS]
      .map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS "${c.name}"`)
      .join(', ')} WHERE false`;
  // The table's columns, named: the month directory is how the files are laid out, not a column.
  const names = [...CURATED_COLUMNS, ...CURATED_PARTITIONS].map((c) => `"${c.name}"`).join(', ');
  // Only month partitions: day partitions an earlier version wrote wait for the next compaction,
  // which rebuilds them by month.
  return `CREATE OR REPLACE VIEW ${CURATED_TABLE} AS SELECT ${names} FROM ${duckdbReadCurated(`${lakeRoot}/${CURATED_AREA}/customer_id=*/${CURATED_MONTH.column}=*/${CURATED_FILE}`)}`;
}

/**
 * The intent scores' view over their Parquet files; typed and empty before the first `npm run intent`.
 * Files an earlier release wrote lack the newer columns (`reasons`): read by name, they are NULL there.
 */
export function duckdbScoresView(lakeRoot: string, hasFiles: boolean): string {
  const typed = [
    ...SCORES_COLUMNS.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS "${c.name}"`),
    ...SCORES_PARTITIONS.map((p) => `CAST(NULL AS ${duckdbType(p.type)}) AS ${p.name}`),
  ].join(', ');
  if (!hasFiles) return `CREATE OR REPLACE VIEW ${SCORES_TABLE} AS SELECT ${typed} WHERE false`;
  const hiveTypes = SCORES_PARTITIONS.map((p) => `'${p.name}': ${duckdbType(p.type)}`).join(', ');
  const glob = SCORES_PARTITIONS.map(() => '*').join('/');
  const names = [...SCORES_COLUMNS, ...SCORES_PARTITIONS].map((c) => `"${c.name}"`).join(', ');
  return `CREATE OR REPLACE VIEW ${SCORES_TABLE} AS SELECT ${names} FROM (SELECT * FROM read_parquet(${literal(`${lakeRoot}/${SCORES_AREA}/${glob}/${SCORES_FILE}`)}, hive_partitioning = true, hive_types = {${hiveTypes}}, union_by_name = true) UNION ALL BY NAME SELECT ${typed} WHERE false)`;
}

/** The audiences' members (`npm run audience`); typed and empty before the first audience. */
export function duckdbAudiencesView(lakeRoot: string, hasFiles: boolean): string {
  const columns = [...AUDIENCE_COLUMNS, ...AUDIENCE_PARTITIONS];
  if (!hasFiles)
    return `CREATE OR REPLACE VIEW ${AUDIENCES_TABLE} AS SELECT ${columns
      .map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS "${c.name}"`)
      .join(', ')} WHERE false`;
  const glob = AUDIENCE_PARTITIONS.map(() => '*').join('/');
  const hiveTypes = AUDIENCE_PARTITIONS.map((p) => `'${p.name}': ${duckdbType(p.type)}`).join(', ');
  return `CREATE OR REPLACE VIEW ${AUDIENCES_TABLE} AS SELECT * FROM read_parquet(${literal(`${lakeRoot}/${AUDIENCES_AREA}/${glob}/${AUDIENCE_MEMBERS_FILE}`)}, hive_partitioning = true, hive_types = {${hiveTypes}})`;
}

/** The identity graph's two tables (`npm run compact`); typed and empty before the first graph. */
export function duckdbIdentityViews(
  lakeRoot: string,
  has: { identities: boolean; users: boolean },
): string[] {
  const columns = {
    identities: [
      ['anonymous_id', 'VARCHAR'],
      ['user_id', 'VARCHAR'],
      ['first_seen_at', 'TIMESTAMP'],
      ['last_seen_at', 'TIMESTAMP'],
      ['shared', 'BOOLEAN'],
      ['merged', 'BOOLEAN'],
    ],
    users: [
      ['user_id', 'VARCHAR'],
      ['anonymous_ids', 'VARCHAR[]'],
      ['traits', 'VARCHAR'],
      ['first_seen_at', 'TIMESTAMP'],
      ['last_seen_at', 'TIMESTAMP'],
    ],
  } as const;
  return (['identities', 'users'] as const).map((kind) => {
    const name = kind === 'identities' ? IDENTITIES_TABLE : USERS_TABLE;
    if (!has[kind])
      return `CREATE OR REPLACE VIEW ${name} AS SELECT CAST(NULL AS VARCHAR) AS customer_id, ${columns[kind]
        .map(([c, t]) => `CAST(NULL AS ${t}) AS ${c}`)
        .join(', ')} WHERE false`;
    return `CREATE OR REPLACE VIEW ${name} AS SELECT customer_id, ${columns[kind].map(([c]) => c).join(', ')} FROM read_parquet(${literal(`${lakeRoot}/${IDENTITY_AREAS[kind]}/customer_id=*/${kind}.parquet`)}, hive_partitioning = true, hive_types = {'customer_id': VARCHAR})`;
  });
}

/** The erase passes' counts (`erased_rows`); typed and empty before the first erase. */
export function duckdbErasedRowsView(files: readonly string[]): string {
  const columns = ERASED_ROWS_COLUMNS.map((c) => [c.name, duckdbType(c.type)] as const);
  if (files.length === 0)
    return `CREATE OR REPLACE VIEW ${ERASED_ROWS_TABLE} AS SELECT ${columns
      .map(([name, type]) => `CAST(NULL AS ${type}) AS "${name}"`)
      .join(', ')} WHERE false`;
  const spec = columns.map(([name, type]) => `"${name}": '${type}'`).join(', ');
  return `CREATE OR REPLACE VIEW ${ERASED_ROWS_TABLE} AS SELECT * FROM read_json([${files.map(literal).join(', ')}], format = 'newline_delimited', hive_partitioning = false, columns = {${spec}})`;
}

/** The views over the tables, the same SQL as Athena's. */
export function duckdbDerivedViews(): string[] {
  const table = (name: string) => name;
  // The landing columns, customer_id last (Athena's view: its projection key comes after them).
  const columns = duckdbAreaColumns('events')
    .map(([name]) => name)
    .filter((name) => name !== 'customer_id');
  return [
    // Athena's JSON function under its own name, so the README's Athena examples run as they are.
    'CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)',
    `CREATE OR REPLACE VIEW ${EVENTS_DEDUPLICATED_VIEW} AS ${eventsDeduplicatedSql(table, columns, DUCKDB_EVENT_TIME)}`,
    `CREATE OR REPLACE VIEW ${COMPLETENESS_VIEW} AS ${completenessSql(table)}`,
    `CREATE OR REPLACE VIEW ${CURATED_COMPLETENESS_VIEW} AS ${curatedCompletenessSql(table)}`,
    `CREATE OR REPLACE VIEW ${INTENT_OUTCOMES_VIEW} AS ${intentOutcomesSql(table)}`,
  ];
}

/**
 * A statement that succeeds only when DuckDB reads a curated Parquet file through: its footer and the
 * pages of its ids and messages (a count alone reads only the footer). Readers probe a file with it
 * before setting it aside as damaged (local/damaged-objects.ts).
 */
export function duckdbParquetProbe(file: string): string {
  return `SELECT count(*) FROM read_parquet(${literal(file)}) WHERE message_id IS NOT NULL AND length(CAST(message AS VARCHAR)) >= 0`;
}
