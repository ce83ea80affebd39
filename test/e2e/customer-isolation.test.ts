import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { jsonLogger } from '../../adapters/system/json-logger';
import { localCompleteness } from '../../local/completeness';
import { openLocalLake } from '../../local/lake-query';
import { startLocalServer } from '../../local/local-server';
import { filesUnder, lakeObjectKeys } from '../../local/read-lake';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { createPinnedClock, createTrackMessage, lakeLineJson } from '../support/factories';
import { makeToken, post, ROOT, tempDataDir } from '../support/local-destination';

const run = promisify(execFile);

// Two customers on one destination: `trouble` sends odd text and has a landed file damaged, and a line
// of the last release's (a lone surrogate, as it landed before ingest replaced them) sits in its events
// and in the shared quarantine; `healthy` must keep every row and a whole completeness, and the trouble
// is named, without a stack trace.

describe('one customer never stops another', () => {
  // Each test arranges its own lake: the first reader to meet the damage sets it aside, so a test that
  // ran before would leave nothing for the next one to find (the suite runs in any order).
  let dataDir = '';
  let lake = '';
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeEach(async () => {
    dataDir = tempDataDir('isolation-');
    lake = join(dataDir, 'lake');
    const healthy = (await makeToken(dataDir, 'healthy')).token;
    const trouble = (await makeToken(dataDir, 'trouble')).token;
    const destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('isolation'),
      clock: createPinnedClock(),
      flushIntervalMs: 600_000,
    });
    try {
      for (let i = 0; i < 7; i++) {
        const batch = Array.from({ length: 50 }, (_, j) =>
          createTrackMessage({ messageId: `ok-${i}-${j}`, userId: `h${j}` }),
        );
        expect((await post(`${destination.url}/v1/batch`, { batch }, healthy)).status).toBe(200);
      }
      // Odd text, as a library that cut a string in half sends it: a lone surrogate, escaped.
      const odd = '{"batch":[{"type":"track","event":"Signed Up","userId":"\\ud800","messageId":"surr-1"}]}';
      expect((await post(`${destination.url}/v1/batch`, odd, trouble)).status).toBe(200);
      await destination.flush();
      // Several objects for `trouble`, so that one damaged object loses only its own lines.
      for (let i = 0; i < 3; i++) {
        const batch = Array.from({ length: 40 }, (_, j) => createTrackMessage({ messageId: `t-${i}-${j}` }));
        expect((await post(`${destination.url}/v1/batch`, { batch }, trouble)).status).toBe(200);
        await destination.flush();
      }
    } finally {
      await destination.close();
    }
    const troubleObjects = lakeObjectKeys(lake, 'events').filter((k) => k.includes('customer_id=trouble/'));
    expect(troubleObjects.length).toBeGreaterThanOrEqual(3);
    // One flipped byte in the middle of a landed gzip object.
    const damaged = join(lake, troubleObjects[troubleObjects.length - 1]!);
    const bytes = readFileSync(damaged);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
    writeFileSync(damaged, bytes);
    // A line as the last release landed it: a lone surrogate written as JSON's escape.
    const legacy = readFileSync(join(lake, troubleObjects[0]!));
    const dir = join(lake, troubleObjects[0]!, '..');
    const legacyLine = `{"schema_version":1,"area":"events","message_id":"legacy-surr","customer_id":"trouble","dt":"2026-11-28","type":"track","event":"x","event_raw":"x","event_key":"x","message_id_generated":false,"user_id":"\\ud800","anonymous_id":null,"timestamp":"2026-11-28T10:00:00.000Z","event_date":"2026-11-28","received_at":"2026-11-28T12:00:00.000Z","message":{"userId":"\\ud800"}}`;
    writeFileSync(join(dir, 'legacy-1.gz'), gzipSync(`${legacyLine}\n`));
    expect(legacy.length).toBeGreaterThan(0);
    // A shared quarantine object with an unreadable line beside a readable one.
    const quarantineDir = join(lake, 'quarantine', 'customer_id=_all', 'received_dt=2026-11-28');
    const goodQuarantine = JSON.stringify({
      schema_version: 1,
      customer_id: 'healthy',
      dt: '2026-11-28',
      received_at: '2026-11-28T12:00:00.000Z',
      index: 0,
      message_id: null,
      reason: { code: 'not_an_object', message: 'x' },
      raw: 1,
    });
    mkdirSync(quarantineDir, { recursive: true });
    writeFileSync(
      join(quarantineDir, 'shared-1.gz'),
      gzipSync(`${goodQuarantine}\n{"area":"quarantine","cust\n`),
    );
  });

  it('compaction commits the healthy customer whole, sets the damage aside, names it, and never prints a stack', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--require', 'tsx/cjs', 'scripts/compact.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
    });

    expect(stdout).toMatch(
      /Set aside a damaged landing object: events\/customer_id=trouble\/.*customer trouble/,
    );
    expect(`${stdout}${stderr}`).not.toMatch(/\n\s+at /);
    const querier = await openLocalLake(lake);
    try {
      const { rows } = await querier.query(
        'SELECT customer_id, count(*) AS n FROM events_curated GROUP BY 1 ORDER BY 1',
      );
      expect(rows[0]).toEqual({ customer_id: 'healthy', n: '350' });
      // trouble keeps its readable lines: the odd text (replaced) and its two intact objects.
      expect(Number(rows[1]!.n)).toBeGreaterThanOrEqual(81);
      const { rows: odd } = await querier.query(
        "SELECT user_id FROM events_curated WHERE message_id IN ('surr-1')",
      );
      expect(odd).toEqual([{ user_id: '\ufffd' }]);
    } finally {
      querier.close();
    }
    expect(existsSync(join(lake, '_damaged'))).toBe(true);
    expect(readdirSync(join(lake, '_damaged'))).toContain('log.jsonl');
  });

  it("completeness counts the loss as the damaged customer's, keeps the healthy one whole, and counts unattributed lines", async () => {
    // Opened before another reader sets the shared object aside: it reads the lake as it is then.
    const querier = await openLocalLake(lake);
    try {
      const rows = await localCompleteness(lake);
      const healthy = rows.find((r) => r.customer_id === 'healthy')!;
      const trouble = rows.find((r) => r.customer_id === 'trouble')!;

      expect(healthy).toMatchObject({ accepted: 350, landed: 350, missing: 0 });
      expect(trouble.missing).toBeGreaterThan(0);
      expect(trouble.missing).toBeLessThanOrEqual(40);
      await querier.query('SELECT count(*) FROM quarantine');
      const log = readFileSync(join(lake, '_damaged', 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              customer_id: string;
              lines_lost: number;
              lost_by_customer: Record<string, number>;
            },
        );
      expect(log.some((d) => d.customer_id === 'unattributed' && d.lost_by_customer.unattributed === 1)).toBe(
        true,
      );
      expect(log.some((d) => d.customer_id === 'trouble')).toBe(true);
      expect(log.every((d) => d.customer_id !== 'healthy')).toBe(true);
      // The command names where the lost lines went, on stderr (its --json stays pure), with no trace.
      const { stdout, stderr } = await run(
        process.execPath,
        ['--require', 'tsx/cjs', 'scripts/query.ts', '--completeness', '--json'],
        { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir } },
      );
      expect(JSON.parse(stdout)).toEqual(
        expect.arrayContaining([expect.objectContaining({ customer_id: 'healthy' })]),
      );
      expect(stderr).toMatch(/lines lost in damaged landing objects .*trouble \d+, unattributed 1/);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      querier.close();
    }
  });
});

describe('a damaged curated partition', () => {
  it('is set aside by a query and by compaction, and built again from the landing zone, the other customer untouched', async () => {
    const dataDir = tempDataDir('isolation-curated-');
    try {
      const lake = join(dataDir, 'lake');
      for (const customer of ['acme', 'beta']) {
        const dir = join(lake, 'events', `customer_id=${customer}`, 'received_dt=2026-11-28');
        mkdirSync(dir, { recursive: true });
        const lines = Array.from({ length: 5 }, (_, i) =>
          lakeLineJson('events', `${customer}-${i}`).replace(
            '"customer_id":"acme"',
            `"customer_id":"${customer}"`,
          ),
        );
        writeFileSync(join(dir, 'a.gz'), gzipSync(`${lines.join('\n')}\n`));
      }
      await runCompaction({ lakeRoot: lake });
      const counts = async () => {
        const querier = await openLocalLake(lake);
        try {
          return (
            await querier.query('SELECT customer_id, count(*) AS n FROM events_curated GROUP BY 1 ORDER BY 1')
          ).rows;
        } finally {
          querier.close();
        }
      };
      const [file] = filesUnder(join(lake, 'curated', 'events', 'customer_id=acme'), (n) =>
        n.endsWith('.parquet'),
      );
      writeFileSync(file!, Buffer.concat([readFileSync(file!).subarray(0, 40), Buffer.from('damaged')]));

      // The query sets it aside and answers with the rest; compaction builds acme again.
      expect(await counts()).toEqual([{ customer_id: 'beta', n: '5' }]);
      const report = await runCompaction({ lakeRoot: lake });

      expect(report.failedCustomers).toEqual([]);
      expect(await counts()).toEqual([
        { customer_id: 'acme', n: '5' },
        { customer_id: 'beta', n: '5' },
      ]);
      // And when compaction meets it first, while merging new objects into it.
      const [again] = filesUnder(join(lake, 'curated', 'events', 'customer_id=acme'), (n) =>
        n.endsWith('.parquet'),
      );
      writeFileSync(again!, Buffer.concat([readFileSync(again!).subarray(0, 40), Buffer.from('damaged')]));
      const dir = join(lake, 'events', 'customer_id=acme', 'received_dt=2026-11-29');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'b.gz'), gzipSync(`${lakeLineJson('events', 'acme-new')}\n`));

      const second = await runCompaction({ lakeRoot: lake });

      expect(second.failedCustomers).toEqual([]);
      expect(second.damaged.map((d) => d.customer_id)).toEqual(['acme']);
      expect(await counts()).toEqual([
        { customer_id: 'acme', n: '6' },
        { customer_id: 'beta', n: '5' },
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
