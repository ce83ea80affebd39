import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonLogger } from '../../adapters/system/json-logger';
import { INTENT_REPORTS_PREFIX, scoresPartitionPath, scoresPath } from '../../domain/contract/curated-table';
import { uplift } from '../../domain/core/audiences/uplift';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { openLocalLake } from '../../local/lake-query';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { liftHtml } from '../../scripts/audience/lift-html';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { BROWSER_START_TIMEOUT_MS, hasChromium, launchChromium } from '../support/browser';
import { createTrackMessage } from '../support/factories';
import { itWhen } from '../support/left-out';
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
  let eraseToken: string;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/audience.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
  /** A scoring of users 0..999: percentile i/1000 shifted by `shift` (a rescoring moves some users). */
  const writeScores = async (customer: string, asOf: string, shift: number) => {
    const file = join(lake, scoresPath(customer, 'signedup', asOf));
    mkdirSync(dirname(file), { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const duck = await db.connect();
    await duck.run(
      `COPY (SELECT 'user-' || i AS user_id, NULL::VARCHAR AS anonymous_id, 'user-' || i AS person, ((i + ${shift}) % 1000) / 1000.0 AS probability, ((i + ${shift}) % 1000) / 1000.0 AS percentile, 10 - CAST(floor(((i + ${shift}) % 1000) / 100.0) AS INTEGER) AS decile FROM range(1000) t(i)) TO '${file}' (FORMAT parquet)`,
    );
    duck.closeSync();
    db.closeSync();
  };

  /** The local lake through npm run query's own reader, in this process (a child would block the server). */
  const lakeSql = async (sql: string) => {
    const querier = await openLocalLake(lake);
    try {
      return (await querier.query(sql)).rows;
    } finally {
      querier.close();
    }
  };

  beforeAll(async () => {
    dataDir = tempDataDir('audiences-');
    lake = join(dataDir, 'lake');
    // A customer per test, each with its own scoring: the tests share a lake, never a customer's data.
    token = (await makeToken(dataDir, 'shop')).token;
    eraseToken = (await makeToken(dataDir, 'erase-co')).token;
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('audiences'),
      flushIntervalMs: 600_000,
    });
    for (const customer of ['shop', 'erase-co', 'sync-co']) await writeScores(customer, '2026-04-01', 0);
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
    const members = (await lakeSql(
      'select user_id, "group" from audiences where audience = \'likely_signups\' and version = 1',
    )) as { user_id: string; group: string }[];
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
    const page = join(dataDir, 'lift.html');
    expect(
      cli('lift', '--customer', 'shop', '--name', 'likely_signups', '--since', '2026-04-01', '--html', page)
        .status,
    ).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('id="chart-curves"');
    expect(html).toContain('id="chart-interval"');
    expect(lift.daily.at(-1)).toMatchObject({ day: '2026-04-05' });

    // A rescoring moves users; a refresh records who entered and left, and nobody changes group.
    await writeScores('shop', '2026-04-08', 100);
    const refreshed = JSON.parse(
      cli('refresh', '--customer', 'shop', '--name', 'likely_signups', '--json').stdout,
    );
    const v2 = refreshed.versions[1];
    expect([v2.version, v2.as_of, v2.entered, v2.left]).toEqual([2, '2026-04-08', 100, 100]);
    const moved = await lakeSql(
      'select count(*) as n from audiences a join audiences b on a.user_id = b.user_id and a.version = 1 and b.version = 2 where a."group" <> b."group"',
    );
    expect(Number(moved[0].n)).toBe(0);

    // Intent to treat: after the refresh the lift still counts everyone ever assigned — the 100 who left
    // included, with their conversions — and says who each version brought in.
    const after = JSON.parse(
      cli('lift', '--customer', 'shop', '--name', 'likely_signups', '--since', '2026-04-01', '--json').stdout,
    );
    expect(after.target.users + after.holdout.users).toBe(600);
    expect([after.target.converted, after.holdout.converted]).toEqual([
      lift.target.converted,
      lift.holdout.converted,
    ]);
    expect(
      after.entered.map((e: { version: number; target: number; holdout: number }) => [
        e.version,
        e.target + e.holdout,
      ]),
    ).toEqual([
      [1, 500],
      [2, 100],
    ]);
    // One version alone: those version 2 brought in, counted from its scoring (2026-04-08): none converted.
    const second = JSON.parse(
      cli('lift', '--customer', 'shop', '--name', 'likely_signups', '--version', '2', '--json').stdout,
    );
    expect([
      second.target.users + second.holdout.users,
      second.target.converted + second.holdout.converted,
    ]).toEqual([100, 0]);
    expect(cli('lift', '--customer', 'shop', '--name', 'likely_signups', '--version', '3').status).toBe(1);

    expect(cli('show', '--customer', 'shop', '--name', 'likely_signups').stdout).toMatch(
      /GROUP\s+USERS\s+LOWEST PERCENTILE/,
    );
    expect(cli('list', '--customer', 'shop').stdout).toMatch(/likely_signups/);
    expect(cli('delete', '--customer', 'shop', '--name', 'likely_signups').status).toBe(0);
    expect(cli('list', '--customer', 'shop').stdout.trim()).toBe('No audiences.');
  }, 120_000);

  it('honours a Segment delete: an erased user leaves every version of every audience', async () => {
    expect(
      cli('create', '--customer', 'erase-co', '--event', 'signed_up', '--name', 'to_erase', '--top', '10')
        .status,
    ).toBe(0);
    const count = async (where: string) =>
      Number(
        (await lakeSql(`select count(*) as n from audiences where customer_id = 'erase-co' and ${where}`))[0]!
          .n,
      );
    const [member] = await lakeSql(
      "select user_id from audiences where customer_id = 'erase-co' and audience = 'to_erase' order by percentile desc limit 1",
    );
    const user = String(member!.user_id);
    const before = await count("audience = 'to_erase'");

    const deleted = await post(
      `${destination.url}/v1/delete`,
      { type: 'delete', userId: user, messageId: `del-${user}` },
      eraseToken,
    );
    expect(deleted.status).toBe(200);
    await destination.eraseDue({ all: true });

    expect(await count(`user_id = '${user}'`)).toBe(0);
    expect(await count("audience = 'to_erase'")).toBe(before - 1);
  }, 60_000);

  it('sends audience traits and one current prediction per person to Segment, retrying a 429, and nothing again when nothing changed', async () => {
    expect(
      cli(
        'create',
        '--customer',
        'sync-co',
        '--event',
        'Signed Up',
        '--name',
        'sync_check',
        '--top',
        '10',
        '--holdout',
        '20',
      ).status,
    ).toBe(0);
    const keySet = spawnSync(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        'bin/tokens.ts',
        'segment-key',
        'set',
        '--customer',
        'sync-co',
        '--write-key',
        'wk_secret1234',
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' },
    );
    expect(keySet.stdout).toMatch(/…1234/);
    expect(keySet.stdout).not.toMatch(/wk_secret/);
    expect(statSync(join(dataDir, 'secrets', 'segment-write-keys', 'sync-co')).mode & 0o777).toBe(0o600);

    // A receiver that speaks Segment's HTTP API: it refuses the first request with 429, then accepts.
    const received: { authorization: string | undefined; batch: Record<string, unknown>[] }[] = [];
    let requests = 0;
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        requests += 1;
        if (requests === 1) {
          res.writeHead(429, { 'retry-after': '0' }).end();
          return;
        }
        received.push({ authorization: req.headers.authorization, batch: JSON.parse(body).batch });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const host = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const sync = () =>
      new Promise<{ status: number | null; stdout: string }>((done) => {
        const child = spawn(
          process.execPath,
          [
            '--require',
            'tsx/cjs',
            'scripts/audience.ts',
            'sync',
            '--customer',
            'sync-co',
            '--name',
            'sync_check',
            '--segment-host',
            host,
            '--json',
          ],
          { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir } },
        );
        let stdout = '';
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
        });
        child.on('close', (status) => done({ status, stdout }));
      });
    try {
      const first = await sync();
      const report = JSON.parse(first.stdout);
      const calls = received.flatMap((r) => r.batch);

      // The top 10 % of the latest scoring (another test may have erased a user from it).
      const size = Number(
        (
          await lakeSql(
            "select count(*) as n from audiences where customer_id = 'sync-co' and audience = 'sync_check'",
          )
        )[0].n,
      );
      expect(size).toBe(100);
      expect(first.status).toBe(0);
      // Holdout members are never marked as in the audience, and get no prediction trait.
      const holdout = (
        await lakeSql(
          "select user_id from audiences where customer_id = 'sync-co' and audience = 'sync_check' and \"group\" = 'holdout'",
        )
      ).map((r) => String(r.user_id));
      expect(holdout.length).toBeGreaterThan(5);
      const scored = 1000;
      // Every scored person once: members with their membership trait, everyone outside the holdout
      // with their one current prediction (from the latest scoring, whether in an audience or not).
      expect(report).toMatchObject({ users: scored, sent: scored, failed: 0 });
      expect(report.predictions).toEqual([
        {
          event: 'Signed Up',
          asOf: '2026-04-01',
          scored,
          sent: scored - holdout.length,
          heldOut: holdout.length,
          anonymousSkipped: 0,
        },
      ]);
      expect(requests).toBe(received.length + 1); // the 429 was retried
      expect(received[0]!.authorization).toBe(`Basic ${Buffer.from('wk_secret1234:').toString('base64')}`);
      expect(calls).toHaveLength(scored);
      const prediction = {
        predicted_signed_up_percentile: expect.any(Number),
        predicted_signed_up_probability: expect.any(Number),
      };
      let members = 0;
      for (const call of calls) {
        expect(call).toMatchObject({ type: 'identify', userId: expect.stringMatching(/^user-/) });
        const traits = call.traits as Record<string, unknown>;
        const held = holdout.includes(String(call.userId));
        if ('audience_sync_check' in traits) members += 1;
        expect(traits).toEqual({
          ...(held ? {} : prediction),
          ...('audience_sync_check' in traits ? { audience_sync_check: !held } : {}),
        });
      }
      expect(members).toBe(size);

      const second = JSON.parse((await sync()).stdout);
      expect(second).toMatchObject({ sent: 0, unchanged: scored });

      // A later scoring that moves every decile, graded Poor: no prediction trait comes from it.
      await writeScores('sync-co', '2026-04-02', 500);
      const report2 = join(
        lake,
        `${INTENT_REPORTS_PREFIX}${scoresPartitionPath('sync-co', 'signedup', '2026-04-02')}report.json`,
      );
      mkdirSync(dirname(report2), { recursive: true });
      writeFileSync(report2, JSON.stringify({ quality: { grade: 'Poor', recommended: false } }));
      const third = JSON.parse((await sync()).stdout);
      expect(third).toMatchObject({ sent: 0 });
      expect(third.predictions).toEqual([
        expect.objectContaining({ asOf: '2026-04-02', poor: 'Poor', sent: 0 }),
      ]);
    } finally {
      receiver.close();
    }

    const noKey = cli('sync', '--customer', 'other', '--segment-host', host);
    expect([noKey.status, noKey.stderr]).toEqual([
      1,
      expect.stringMatching(/npm run tokens -- segment-key set --customer other/),
    ]);
  }, 120_000);

  itWhen(hasChromium(), 'the lift report checked in Chromium: Chromium is not installed')(
    'renders the lift report: both conversion curves and the interval, in Chromium',
    async () => {
      const file = join(dataDir, 'lift-browser.html');
      const daily = ['2026-04-02', '2026-04-03', '2026-04-04'].flatMap((day, i) => [
        { day, group: 'target', rate: 0.1 * (i + 1) },
        { day, group: 'holdout', rate: 0.03 * (i + 1) },
      ]);
      const report = {
        audience: 'likely_signups',
        customer: 'shop',
        event: 'Signed Up',
        since: '2026-04-01',
        version: 1,
        entered: [{ version: 1, target: 900, holdout: 100 }],
        daily,
        ...uplift({ users: 900, converted: 270 }, { users: 100, converted: 9 }),
      };
      writeFileSync(file, await liftHtml(report));
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage({ viewport: { width: 1000, height: 900 } });
        await tab.goto(`file://${file}`);
        for (const id of ['chart-curves', 'chart-interval']) {
          expect(await tab.locator(`#${id} svg`).isVisible()).toBe(true);
          expect(await tab.locator(`#${id} svg path`).count()).toBeGreaterThan(2);
        }
        expect(await tab.locator('#verdict').textContent()).toMatch(/converts more than its holdout/);
        expect(await tab.locator('#ci95').textContent()).toMatch(/^\[\d/);
      } finally {
        await browser.close();
      }
    },
    BROWSER_START_TIMEOUT_MS,
  );

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
