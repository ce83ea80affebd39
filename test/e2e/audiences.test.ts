import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonLogger } from '../../adapters/system/json-logger';
import { scoresPath } from '../../domain/contract/curated-table';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { createTrackMessage } from '../support/factories';
import { makeToken, post, ROOT, tempDataDir } from '../support/local-destination';

/**
 * `npm run audience` on a lake with a scoring of 1,000 users: an audience of the top half with a 20 %
 * holdout, conversions planted afterwards (target 30 %, holdout 10 %), then the lift, a refresh after
 * a rescoring, and the refusals.
 */
describe('audiences from predictions (npm run audience)', () => {
  let dataDir: string;
  let lake: string;
  let destination: LocalDestination;
  let token: string;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audience.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
  /** A scoring of users 0..999: percentile i/1000 shifted by `shift` (a rescoring moves some users). */
  const writeScores = async (asOf: string, shift: number) => {
    const file = join(lake, scoresPath('shop', 'signedup', asOf));
    mkdirSync(dirname(file), { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const duck = await db.connect();
    await duck.run(
      `COPY (SELECT 'user-' || i AS user_id, NULL::VARCHAR AS anonymous_id, 'user-' || i AS person, ((i + ${shift}) % 1000) / 1000.0 AS probability, ((i + ${shift}) % 1000) / 1000.0 AS percentile, 10 - CAST(floor(((i + ${shift}) % 1000) / 100.0) AS INTEGER) AS decile FROM range(1000) t(i)) TO '${file}' (FORMAT parquet)`,
    );
    duck.closeSync();
    db.closeSync();
  };

  beforeAll(async () => {
    dataDir = tempDataDir('audiences-');
    lake = join(dataDir, 'lake');
    token = (await makeToken(dataDir, 'shop')).token;
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('audiences'),
      flushIntervalMs: 600_000,
    });
    await writeScores('2026-04-01', 0);
  });
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds, measures, refreshes and deletes an audience', async () => {
    const created = cli(
      'create',
      '--customer',
      'shop',
      '--event',
      'Signed Up',
      '--name',
      'likely_signups',
      '--top',
      '50',
      '--holdout',
      '20',
      '--json',
    );
    expect(created.stderr).toBe('');
    const definition = JSON.parse(created.stdout);
    const [v1] = definition.versions;
    expect(v1.target + v1.holdout).toBe(500);
    expect(v1.holdout).toBeGreaterThan(70);
    expect(v1.holdout).toBeLessThan(130);

    // The members, read back through the audiences table; conversions planted after the scoring.
    const members = JSON.parse(
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/query.ts',
          'select user_id, "group" from audiences where audience = \'likely_signups\' and version = 1',
          '--json',
        ],
        { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' },
      ).stdout,
    ) as { user_id: string; group: string }[];
    expect(members).toHaveLength(500);
    const random = seededRandom(3);
    const batch = members
      .filter((m) => random() < (m.group === 'target' ? 0.3 : 0.1))
      .map((m) =>
        createTrackMessage({ userId: m.user_id, event: 'Signed Up', timestamp: '2026-04-05T10:00:00Z' }),
      );
    expect((await post(`${destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
    await destination.flush();
    await runCompaction({ lakeRoot: lake });

    const lift = JSON.parse(
      cli('lift', '--customer', 'shop', '--name', 'likely_signups', '--since', '2026-04-01', '--json').stdout,
    );
    expect(lift.target.users + lift.holdout.users).toBe(500);
    expect(lift.uplift.ci95[0]).toBeGreaterThan(0);
    expect(lift.uplift.absolute).toBeCloseTo(lift.target.rate - lift.holdout.rate, 10);
    expect(typeof lift.pValue).toBe('number');
    const text = cli(
      'lift',
      '--customer',
      'shop',
      '--name',
      'likely_signups',
      '--since',
      '2026-04-01',
    ).stdout;
    expect(text).toMatch(/95 % interval \[/);

    // A rescoring moves users; a refresh records who entered and left, and nobody changes group.
    await writeScores('2026-04-08', 100);
    const refreshed = JSON.parse(
      cli('refresh', '--customer', 'shop', '--name', 'likely_signups', '--json').stdout,
    );
    const v2 = refreshed.versions[1];
    expect([v2.version, v2.as_of, v2.entered, v2.left]).toEqual([2, '2026-04-08', 100, 100]);
    const moved = JSON.parse(
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/query.ts',
          'select count(*) as n from audiences a join audiences b on a.user_id = b.user_id and a.version = 1 and b.version = 2 where a."group" <> b."group"',
          '--json',
        ],
        { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' },
      ).stdout,
    );
    expect(Number(moved[0].n)).toBe(0);

    expect(cli('show', '--customer', 'shop', '--name', 'likely_signups').stdout).toMatch(
      /GROUP\s+USERS\s+LOWEST PERCENTILE/,
    );
    expect(cli('list', '--customer', 'shop').stdout).toMatch(/likely_signups/);
    expect(cli('delete', '--customer', 'shop', '--name', 'likely_signups').status).toBe(0);
    expect(cli('list', '--customer', 'shop').stdout.trim()).toBe('No audiences.');
  }, 120_000);

  it('honours a Segment delete: an erased user leaves every version of every audience', async () => {
    expect(
      cli('create', '--customer', 'shop', '--event', 'signed_up', '--name', 'to_erase', '--top', '10').status,
    ).toBe(0);
    const query = (sql: string) =>
      JSON.parse(
        spawnSync(process.execPath, ['--import', 'tsx', 'scripts/query.ts', sql, '--json'], {
          cwd: ROOT,
          env: { ...process.env, DATA_DIR: dataDir },
          encoding: 'utf8',
        }).stdout,
      ) as Record<string, unknown>[];
    const [member] = query(
      "select user_id from audiences where audience = 'to_erase' order by percentile desc limit 1",
    );
    const user = String(member!.user_id);
    const before = query("select count(*) as n from audiences where audience = 'to_erase'")[0]!.n;

    const deleted = await post(
      `${destination.url}/v1/delete`,
      { type: 'delete', userId: user, messageId: `del-${user}` },
      token,
    );
    expect(deleted.status).toBe(200);
    await destination.eraseDue({ all: true });

    expect(query(`select count(*) as n from audiences where user_id = '${user}'`)[0]!.n).toBe('0');
    expect(Number(query("select count(*) as n from audiences where audience = 'to_erase'")[0]!.n)).toBe(
      Number(before) - 1,
    );
  }, 60_000);

  it('refuses what it cannot build: bad shares exit 2, a missing scoring exits 1 naming the command', () => {
    const top = cli('create', '--customer', 'shop', '--event', 'x', '--name', 'a', '--top', '0');
    const holdout = cli(
      'create',
      '--customer',
      'shop',
      '--event',
      'x',
      '--name',
      'a',
      '--top',
      '10',
      '--holdout',
      '60',
    );
    const noScores = cli(
      'create',
      '--customer',
      'shop',
      '--event',
      'Order Completed',
      '--name',
      'buyers',
      '--top',
      '10',
    );

    expect([top.status, holdout.status, noScores.status]).toEqual([2, 2, 1]);
    expect(top.stderr).toMatch(/--top must be a percentage above 0/);
    expect(holdout.stderr).toMatch(/--holdout must be a number from 0 to 50/);
    expect(noScores.stderr).toMatch(/run npm run intent -- --customer shop --event "Order Completed" first/);
  });
});
