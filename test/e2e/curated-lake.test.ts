import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { jsonLogger } from '../../adapters/system/json-logger';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { curatedFiles } from '../../local/read-lake';
import { createPinnedClock, createTrackMessage } from '../support/factories';
import { makeToken, post, ROOT, tempDataDir } from '../support/local-destination';

// The README's lake walk-through, as a user runs it: send events (a Replay-like resend among them,
// spread over many event dates), `npm run compact`, `npm run query -- --completeness`, compact again.
describe('the curated lake from the command line', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let firstCompaction: ReturnType<typeof run>;
  const accepted = new Set<string>();
  const run = (script: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--require', 'tsx/cjs', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const query = (...args: string[]) => {
    const result = run('scripts/query.ts', ...args, '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as Record<string, string | number | null>[];
  };

  beforeAll(async () => {
    dataDir = tempDataDir('curated-');
    const token = (await makeToken(dataDir, 'acme')).token;
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('curated'),
      clock: createPinnedClock(Date.parse('2026-02-01T10:00:00Z')),
      flushIntervalMs: 100,
    });
    const batch = Array.from({ length: 40 }, (_, i) =>
      createTrackMessage({
        messageId: `c-${i}`,
        event: ['sign_up', 'Order Completed', 'signup'][i % 3],
        userId: `u${i % 7}`,
        timestamp: `2024-${String(1 + (i % 12)).padStart(2, '0')}-15T09:00:00Z`,
      }),
    );
    for (const m of batch) accepted.add(m.messageId as string);
    expect((await post(`${destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
    // Replay: the first half again, and one invalid message that goes to quarantine.
    const replay = [...batch.slice(0, 20), createTrackMessage({ messageId: 'bad', event: undefined })];
    expect((await post(`${destination.url}/v1/batch`, { batch: replay }, token)).status).toBe(200);
    await destination.flush();
    // The first compaction, while the server runs; each test below reads what it made, in any order.
    firstCompaction = run('scripts/compact.ts');
  });
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('compacts while the server runs, and completeness shows every accepted event once in the curated table', () => {
    const compact = firstCompaction;
    expect(compact.status).toBe(0);
    expect(compact.stdout).toMatch(/^Took \d+ new landing objects/);

    const [day] = query('--completeness', '--customer', 'acme', '--since', '2026-02-01');
    expect(day).toEqual({
      customer_id: 'acme',
      received_dt: '2026-02-01',
      requests: '2',
      accepted: '60',
      landed: '60',
      missing: '0',
      erased: '0',
      surplus: '0',
      quarantined: '1',
      curated: '40',
      not_curated: '0',
    });
    const rows = query('select message_id, count(*) as n from events_curated group by 1 order by 1');
    expect(rows.map((r) => r.message_id).sort()).toEqual([...accepted].sort());
    expect(rows.every((r) => r.n === '1')).toBe(true);
    // Twelve event months, one partition each: event dates, not the receive date.
    expect(query('select count(distinct event_date) as d from events_curated')).toEqual([{ d: '12' }]);
  });

  it('answers the canned questions from the same tables', () => {
    expect(query('--top-events', '--customer', 'acme')).toEqual([
      { customer_id: 'acme', event: 'Signed Up', events: '27', users: '7' },
      { customer_id: 'acme', event: 'Order Completed', events: '13', users: '7' },
    ]);
    expect(query('--quarantine-reasons')).toEqual([
      { customer_id: 'acme', reason: 'missing_field', messages: '1' },
    ]);
    const csv = run('scripts/query.ts', '--top-events', '--csv');
    expect(csv.stdout.split('\r\n')[0]).toBe('customer_id,event,events,users');
  });

  it('changes no file on a second compaction', () => {
    const before = curatedFiles(join(dataDir, 'lake')).map(
      (f) => `${relative(dataDir, f)}@${statSync(f).mtimeMs}`,
    );

    const again = run('scripts/compact.ts');

    expect(again.stdout).toMatch(/^Nothing new/);
    expect(
      curatedFiles(join(dataDir, 'lake')).map((f) => `${relative(dataDir, f)}@${statSync(f).mtimeMs}`),
    ).toEqual(before);
  });

  it('refuses SQL that would write, with a usage error', () => {
    const copy = run('scripts/query.ts', "copy (select 1) to 'x.csv'");

    expect(copy.status).toBe(2);
    expect(copy.stderr).toMatch(/only a reading statement/);
  });
});
