import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLogger } from '../../adapters/system/json-logger';
import { localCompleteness } from '../../local/completeness';
import { openLocalLake } from '../../local/lake-query';
import { startLocalServer } from '../../local/local-server';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { ROOT, tempDataDir } from '../support/local-destination';

// The new code on a data directory the last release wrote (test/fixtures/last-release-datadir/README.md):
// its spool (S2 records, one with a lone surrogate) lands at start, its lake and curated table are read,
// its 1970-01-01 rows move, and nothing acknowledged is lost.

describe('upgrading a data directory of the last release', () => {
  const dataDir = tempDataDir('upgrade-');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lands the spool, compacts, moves the undated rows, and loses nothing', async () => {
    cpSync(join(ROOT, 'test', 'fixtures', 'last-release-datadir'), dataDir, { recursive: true });
    rmSync(join(dataDir, 'README.md'));
    const destination = await startLocalServer({ dataDir, port: 0, logger: jsonLogger('upgrade') });
    expect(destination.recoveredSegments).toBe(1);
    await destination.close();
    const lake = join(dataDir, 'lake');

    const report = await runCompaction({ lakeRoot: lake });

    expect(report).toMatchObject({ failedCustomers: [], redatedCustomers: 1 });
    // The last release's lake gets its identity graph at this first compaction.
    expect(report).toMatchObject({ identityCustomers: 2, identityFailed: [] });
    // The landed object holding the last release's lone surrogate was set aside, its line repaired.
    expect(report.damaged.map((d) => [d.customer_id, d.lines_lost])).toEqual([['acme', 0]]);
    const completeness = await localCompleteness(lake);
    for (const row of completeness) expect(row).toMatchObject({ missing: 0, surplus: 0 });
    expect(completeness.map((r) => [r.customer_id, r.accepted])).toEqual([
      ['acme', 32],
      ['beta', 30],
    ]);
    const querier = await openLocalLake(lake);
    try {
      const rows = (sql: string) => querier.query(sql).then((r) => r.rows);
      expect(await rows('SELECT DISTINCT customer_id FROM users ORDER BY 1')).toEqual([
        { customer_id: 'acme' },
        { customer_id: 'beta' },
      ]);
      expect(
        await rows('SELECT customer_id, count(*) AS n FROM events_curated GROUP BY 1 ORDER BY 1'),
      ).toEqual([
        { customer_id: 'acme', n: '32' },
        { customer_id: 'beta', n: '30' },
      ]);
      expect(
        await rows(
          "SELECT message_id, user_id, CAST(event_date AS VARCHAR) = substr(CAST(received_at AS VARCHAR), 1, 10) AS on_receive_date FROM events_curated WHERE message_id IN ('acme-no-time', 'acme-surrogate') ORDER BY 1",
        ),
      ).toEqual([
        { message_id: 'acme-no-time', user_id: 'acme-u0', on_receive_date: true },
        { message_id: 'acme-surrogate', user_id: '\ufffd', on_receive_date: false },
      ]);
    } finally {
      querier.close();
    }
    expect(existsSync(join(lake, 'curated', 'events', 'customer_id=acme', 'event_month=1970-01'))).toBe(
      false,
    );
    expect(readdirSync(join(lake, '_damaged', 'events', 'customer_id=acme'))).toHaveLength(1);
  });
});
