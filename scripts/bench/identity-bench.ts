import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityFile } from '../../domain/contract/identity';
import { addDays } from '../../domain/contract/sql/intent-sql';
import { buildIdentities } from '../../local/identity-tables';
import { openLocalLake } from '../../local/lake-query';
import { withPopulationDb, writeCuratedRows } from './curated-population';
import { rssSampler } from './measure';

export interface IdentityBenchResult {
  users: number;
  anonymousIds: number;
  rows: number;
  /** Writing the curated rows (setup). */
  setupSeconds: number;
  /** `npm run compact`'s graph step for the customer: both tables built from its curated rows. */
  seconds: number;
  peakRssMiB: number;
  identities: number;
  shared: number;
  usersRows: number;
  /** The two Parquet files' bytes. */
  bytes: number;
}

/**
 * `npm run bench -- --only identity`: the identity graph alone at scale — a customer whose users each
 * come from ~10 devices (1 to 19, by a hash), so 1 M users bring ~10 M anonymous ids. Each device sends
 * an anonymous page view and an identify with both ids; 1 % of devices are also logged into by the next
 * user (a shared device), 1 % of users are renamed by an alias, and some devices carry a placeholder id.
 * The curated rows are written directly (no HTTP, no compaction), then `buildIdentities` — what
 * `npm run compact` runs for a customer it changed — builds `identities` and `users`, timed, with this
 * process's peak resident memory (DuckDB works in it).
 */
export async function benchIdentity(
  users: number,
  onStep: (s: string) => void = () => {},
): Promise<IdentityBenchResult> {
  const lake = mkdtempSync(join(tmpdir(), 'bench-identity-'));
  const memory = rssSampler();
  const customer = 'graph';
  const days = 90;
  const first = addDays('2026-03-31', -(days - 1));
  try {
    onStep(`writing ${users.toLocaleString('en-US')} users' devices`);
    let started = performance.now();
    const unit = (...parts: string[]) => `(hash(${parts.join(", '|', ")}) % 1000000) / 1000000.0`;
    const devices = `SELECT u.i, r.a, CAST(hash(u.i, '|', r.a) % ${days} AS INTEGER) AS d
      FROM (SELECT i, 1 + CAST(hash(i, '|', 'k') % 19 AS INTEGER) AS k FROM range(${users}) t(i)) u,
      LATERAL (SELECT range AS a FROM range(u.k)) r`;
    // Per device: a page (anonymous), an identify (both ids), for 1 % a second user's identify (shared);
    // per user, for 1 %, an alias to a new user id.
    const rows = `
      SELECT i, a, d, 'page' AS kind, 0 AS n FROM (${devices})
      UNION ALL SELECT i, a, d, 'identify', 1 FROM (${devices})
      UNION ALL SELECT (i + 1) % ${users}, a + 1000 * i, d, 'shared', 2 FROM (${devices}) WHERE ${unit('i', 'a', "'shared'")} < 0.01
      UNION ALL SELECT i, 0, ${days - 1}, 'alias', 3 FROM range(${users}) t(i) WHERE ${unit('i', "'alias'")} < 0.01`;
    const anonymous = `CASE WHEN kind = 'shared' THEN 'd-' || (a // 1000) || '-' || (a % 1000)
      WHEN ${unit('i', 'a', "'placeholder'")} < 0.001 THEN 'null' ELSE 'd-' || i || '-' || a END`;
    const value: Record<string, string> = {
      message_id: "'m-' || i || '-' || a || '-' || n",
      message_id_generated: 'false',
      type: "CASE WHEN kind = 'shared' THEN 'identify' ELSE kind END",
      event: 'NULL',
      event_raw: 'NULL',
      event_key: 'NULL',
      user_id: `CASE kind WHEN 'page' THEN NULL WHEN 'alias' THEN 'u' || i || '-new' ELSE 'u' || i END`,
      anonymous_id: `CASE WHEN kind = 'alias' THEN NULL ELSE ${anonymous} END`,
      timestamp: `TIMESTAMP '${first} 00:00:00' + to_days(CAST(d AS INTEGER)) + to_minutes(CAST(n * 7 + 600 AS INTEGER))`,
      timestamp_out_of_range: 'false',
      planned: 'false',
      violations: 'NULL',
      received_at: `TIMESTAMP '${first} 00:00:00' + to_days(CAST(d AS INTEGER)) + to_minutes(CAST(n * 7 + 601 AS INTEGER))`,
      request_id: "'bench'",
      properties: "'{}'",
      traits: `CASE WHEN kind = 'identify' THEN '{"plan":"' || CASE WHEN ${unit('i', 'a', "'plan'")} < 0.3 THEN 'trial' ELSE 'free' END || '"}' END`,
      context: "'{}'",
      message: `CASE WHEN kind = 'alias' THEN '{"previousId":"u' || i || '"}' ELSE '{}' END`,
    };
    const written = await withPopulationDb(lake, (duck) =>
      writeCuratedRows(duck, { lakeRoot: lake, customer, days, first }, value, rows),
    );
    const setupSeconds = (performance.now() - started) / 1000;
    memory.reset();

    onStep('building identities and users');
    started = performance.now();
    const built = await buildIdentities(lake, [customer]);
    const seconds = (performance.now() - started) / 1000;
    const peakRssMiB = memory.reset();
    if (built.failed.length > 0) throw new Error(`the graph failed: ${built.failed[0]!.reason}`);

    const querier = await openLocalLake(lake);
    try {
      const [graph] = (
        await querier.query(
          `SELECT (SELECT count(*) FROM identities) AS identities, (SELECT count_if(shared) FROM identities) AS shared, (SELECT count(DISTINCT anonymous_id) FROM identities) AS anonymous_ids, (SELECT count(*) FROM users) AS users`,
        )
      ).rows;
      const bytes = (['identities', 'users'] as const)
        .map((t) => statSync(join(lake, identityFile(t, customer))).size)
        .reduce((a, b) => a + b, 0);
      return {
        users,
        anonymousIds: Number(graph!.anonymous_ids),
        rows: written.events,
        setupSeconds,
        seconds,
        peakRssMiB,
        identities: Number(graph!.identities),
        shared: Number(graph!.shared),
        usersRows: Number(graph!.users),
        bytes,
      };
    } finally {
      querier.close();
    }
  } finally {
    memory.stop();
    rmSync(lake, { recursive: true, force: true });
  }
}
