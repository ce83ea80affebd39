import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  CURATED_COLUMNS,
  CURATED_FILE,
  CURATED_MONTH,
  curatedPartitionPath,
  eventMonth,
} from '../../domain/contract/curated-table';
import { duckdbType } from '../../domain/contract/duckdb-types';
import { duckdbWritePartition } from '../../domain/contract/sql/curated-sql';
import { addDays } from '../../domain/contract/sql/intent-sql';
import { literal } from '../../domain/contract/sql/sql-text';

/**
 * A customer's curated table written directly (no HTTP, no compaction), for the intent bench at a
 * million users: each user is active on ~8 % of the days with a session of a page view, a track event
 * and, on the first active day, an identify; evaluators (30 % of users) see /pricing five times as
 * often, and each pricing view multiplies the daily chance to sign up (the planted signal of
 * `npm run simulate`, in SQL). Deterministic: DuckDB's `hash` of the user and day decides everything.
 */
export async function writeCuratedPopulation(options: {
  lakeRoot: string;
  customer: string;
  users: number;
  days: number;
  /** The last day, `YYYY-MM-DD`. */
  end: string;
}): Promise<{ events: number }> {
  const first = addDays(options.end, -(options.days - 1));
  return withPopulationDb(options.lakeRoot, async (duck) => {
    // A number in [0, 1) from the hash of its parts.
    const unit = (...parts: string[]) => `(hash(${parts.join(", '|', ")}) % 1000000) / 1000000.0`;
    const sessions = `
      WITH u AS (SELECT i, 'u' || i AS user_id, ${unit('i', "'evaluator'")} < 0.3 AS evaluator FROM range(${options.users}) t(i)),
      d AS (SELECT d FROM range(${options.days}) t(d)),
      active AS (
        SELECT u.i, u.user_id, u.evaluator, d.d,
          ${unit('u.i', 'd.d', "'pricing'")} < CASE WHEN u.evaluator THEN 0.5 ELSE 0.1 END AS pricing
        FROM u CROSS JOIN d WHERE ${unit('u.i', 'd.d', "'active'")} < 0.08
      ),
      counted AS (
        SELECT *, sum(CASE WHEN pricing THEN 1 ELSE 0 END) OVER (PARTITION BY i ORDER BY d) AS views,
          row_number() OVER (PARTITION BY i ORDER BY d) AS nth
        FROM active
      )
      SELECT *, ${unit('i', 'd', "'convert'")} < 0.01 * pow(2, least(views, 4)) AS converts FROM counted`;
    // One row per event; every curated column, typed as the table has it.
    const events = `
      SELECT s.user_id, s.d, e.kind, e.n FROM (${sessions}) s,
      LATERAL (SELECT * FROM (VALUES ('page', 0), ('track', 1), ('identify', 2), ('signup', 3)) v(kind, n)
        WHERE kind IN ('page', 'track') OR (kind = 'identify' AND s.nth = 1) OR (kind = 'signup' AND s.converts)) e`;
    const value: Record<string, string> = {
      message_id: "user_id || '-' || d || '-' || n",
      message_id_generated: 'false',
      type: "CASE kind WHEN 'page' THEN 'page' WHEN 'identify' THEN 'identify' ELSE 'track' END",
      event: "CASE kind WHEN 'track' THEN 'Product Viewed' WHEN 'signup' THEN 'Signed Up' END",
      event_raw: "CASE kind WHEN 'track' THEN 'Product Viewed' WHEN 'signup' THEN 'Signed Up' END",
      event_key: "CASE kind WHEN 'track' THEN 'productviewed' WHEN 'signup' THEN 'signedup' END",
      user_id: 'user_id',
      anonymous_id: 'NULL',
      timestamp: `TIMESTAMP ${literal(`${first} 00:00:00`)} + to_days(CAST(d AS INTEGER)) + to_minutes(CAST(n * 7 + 600 AS INTEGER))`,
      timestamp_out_of_range: 'false',
      planned: 'false',
      violations: 'NULL',
      received_at: `TIMESTAMP ${literal(`${first} 00:00:00`)} + to_days(CAST(d AS INTEGER)) + to_minutes(CAST(n * 7 + 601 AS INTEGER))`,
      request_id: "'bench'",
      properties: `CASE kind WHEN 'page' THEN '{"path":"' || CASE WHEN ${unit('user_id', 'd', "'path'")} < 0.5 THEN '/' ELSE '/docs' END || '"}' ELSE '{}' END`,
      traits: `CASE kind WHEN 'identify' THEN '{"plan":"' || CASE WHEN ${unit('user_id', "'plan'")} < 0.3 THEN 'trial' ELSE 'free' END || '"}' END`,
      context: "'{}'",
      message: "'{}'",
    };
    // Pricing views are page views of /pricing on the days a user looked at it.
    value.properties = `CASE WHEN kind = 'page' AND pricing THEN '{"path":"/pricing"}' ELSE ${value.properties} END`;
    const withPricing = events.replace(
      'SELECT s.user_id, s.d, e.kind, e.n',
      'SELECT s.user_id, s.d, s.pricing, e.kind, e.n',
    );
    return await writeCuratedRows(duck, { ...options, first }, value, withPricing);
  });
}

type Duck = Awaited<ReturnType<DuckDBInstance['connect']>>;

/** A DuckDB for writing a population: 2 GB of buffers, spilling inside the lake, removed after. */
export async function withPopulationDb<T>(lakeRoot: string, use: (duck: Duck) => Promise<T>): Promise<T> {
  const spill = join(lakeRoot, '.population-spill');
  const db = await DuckDBInstance.create(':memory:', { memory_limit: '2GB', temp_directory: spill });
  const duck = await db.connect();
  try {
    return await use(duck);
  } finally {
    duck.closeSync();
    db.closeSync();
    rmSync(spill, { recursive: true, force: true });
  }
}

/**
 * Rows of `from` (with a day number `d` from `first`) written as a customer's curated table: every
 * curated column from `value`'s expression, typed as the table has it, one file per month in event-time
 * order, as compaction writes them. How many rows.
 */
export async function writeCuratedRows(
  duck: Duck,
  options: { lakeRoot: string; customer: string; days: number; first: string },
  value: Record<string, string>,
  from: string,
): Promise<{ events: number }> {
  const { first } = options;
  const columns = CURATED_COLUMNS.map(
    (c) => `CAST(${value[c.name]} AS ${duckdbType(c.type)}) AS "${c.name}"`,
  );
  await duck.run(
    `CREATE TEMP TABLE population AS SELECT ${columns.join(', ')}, ${literal(options.customer)} AS customer_id, CAST(DATE ${literal(first)} + CAST(d AS INTEGER) AS DATE) AS ${CURATED_MONTH.of} FROM (${from})`,
  );
  // One file per month, as compaction writes them: the file's columns, in event-time order.
  const months = [...new Set(Array.from({ length: options.days }, (_, d) => eventMonth(addDays(first, d))))];
  for (const month of months) {
    const dir = join(options.lakeRoot, curatedPartitionPath(options.customer, month));
    mkdirSync(dir, { recursive: true });
    await duck.run(duckdbWritePartition('population', options.customer, month, join(dir, CURATED_FILE)));
  }
  const [counted] = (await duck.runAndReadAll('SELECT count(*) AS n FROM population')).getRowObjects();
  return { events: Number(counted!.n) };
}
