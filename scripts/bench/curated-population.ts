import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  CURATED_AREA,
  CURATED_COLUMNS,
  CURATED_FILE,
  CURATED_PARTITIONS,
} from '../../domain/contract/curated-table';
import { duckdbType } from '../../domain/contract/duckdb-types';
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
  const target = join(options.lakeRoot, CURATED_AREA);
  const staging = join(options.lakeRoot, '.population-staging');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const spill = join(options.lakeRoot, '.population-spill');
  const db = await DuckDBInstance.create(':memory:', { memory_limit: '2GB', temp_directory: spill });
  const duck = await db.connect();
  try {
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
    const columns = CURATED_COLUMNS.map(
      (c) => `CAST(${value[c.name]} AS ${duckdbType(c.type)}) AS "${c.name}"`,
    );
    const partitions = CURATED_PARTITIONS.map((p) =>
      p.name === 'customer_id'
        ? `${literal(options.customer)} AS customer_id`
        : `CAST(DATE ${literal(first)} + CAST(d AS INTEGER) AS DATE) AS event_date`,
    );
    await duck.run(
      `COPY (SELECT ${[...columns, ...partitions].join(', ')} FROM (${withPricing})) TO ${literal(staging)} (FORMAT parquet, PARTITION_BY (${CURATED_PARTITIONS.map((p) => p.name).join(', ')}))`,
    );
    const [counted] = (
      await duck.runAndReadAll(
        `SELECT count(*) AS n FROM read_parquet(${literal(`${staging}/*/*/*.parquet`)})`,
      )
    ).getRowObjects();
    // DuckDB names its files data_0.parquet…; the lake reads one data.parquet per partition.
    for (const customerDir of readdirSync(staging))
      for (const dayDir of readdirSync(join(staging, customerDir))) {
        const files = readdirSync(join(staging, customerDir, dayDir));
        if (files.length !== 1) throw new Error(`${files.length} files in ${customerDir}/${dayDir}`);
        mkdirSync(join(target, customerDir, dayDir), { recursive: true });
        renameSync(
          join(staging, customerDir, dayDir, files[0]!),
          join(target, customerDir, dayDir, CURATED_FILE),
        );
      }
    return { events: Number(counted!.n) };
  } finally {
    duck.closeSync();
    db.closeSync();
    rmSync(staging, { recursive: true, force: true });
    rmSync(spill, { recursive: true, force: true });
  }
}
