import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { curatedPartitionPath } from '../../domain/contract/curated-table';
import { openLocalLake } from '../../local/lake-query';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { lakeLineJson } from '../support/factories';
import { tempDataDir } from '../support/local-destination';

// A message with no time at all (the Quickstart's own curl once sent one) is dated by when we received
// it, and found by id across dates; rows an earlier release dated 1970-01-01 move at the next compaction.

const line = (id: string, receivedAt: string, eventDate: string, flagged: boolean) =>
  JSON.stringify({
    ...(JSON.parse(lakeLineJson('events', id)) as Record<string, unknown>),
    received_at: receivedAt,
    dt: receivedAt.slice(0, 10),
    event_date: eventDate,
    event_date_from_sent_at: flagged,
  });

function land(lake: string, name: string, lines: string[]): void {
  const dir = join(lake, 'events', 'customer_id=acme', 'received_dt=2026-11-28');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), gzipSync(`${lines.join('\n')}\n`));
}

async function curated(lake: string) {
  const querier = await openLocalLake(lake);
  try {
    return (
      await querier.query(
        'SELECT message_id, CAST(event_date AS VARCHAR) AS event_date FROM events_curated ORDER BY 1',
      )
    ).rows;
  } finally {
    querier.close();
  }
}

describe('messages with no time', () => {
  it('land on their receive date, and a resend received another day is the same row', async () => {
    const lake = join(tempDataDir('undated-'), 'lake');
    try {
      land(lake, 'a.gz', [line('no-time-1', '2026-11-28T12:00:00.000Z', '2026-11-28', true)]);
      await runCompaction({ lakeRoot: lake });
      land(lake, 'b.gz', [line('no-time-1', '2026-11-30T08:00:00.000Z', '2026-11-30', true)]);
      await runCompaction({ lakeRoot: lake });

      expect(await curated(lake)).toEqual([{ message_id: 'no-time-1', event_date: '2026-11-28' }]);
    } finally {
      rmSync(join(lake, '..'), { recursive: true, force: true });
    }
  });

  it("upgrades the last release's lake: its 1970-01-01 rows move to their receive date, nothing lost", async () => {
    const lake = join(tempDataDir('undated-upgrade-'), 'lake');
    try {
      // The last release's landing lines (dated 1970-01-01, unflagged) and its curated partition.
      land(lake, 'old.gz', [
        line('legacy-undated', '2026-11-28T12:00:00.000Z', '1970-01-01', false),
        line('legacy-dated', '2026-11-28T12:00:00.000Z', '2026-11-02', false),
      ]);
      await runCompaction({ lakeRoot: lake });
      const now = join(lake, curatedPartitionPath('acme', '2026-11'));
      const then = join(lake, curatedPartitionPath('acme', '1970-01'));
      mkdirSync(then, { recursive: true });
      const db = await DuckDBInstance.create(':memory:');
      const duck = await db.connect();
      await duck.run(
        `COPY (SELECT * REPLACE (DATE '1970-01-01' AS event_date) FROM read_parquet('${now}/data.parquet') WHERE message_id = 'legacy-undated') TO '${then}/data.parquet' (FORMAT parquet)`,
      );
      await duck.run(
        `COPY (SELECT * FROM read_parquet('${now}/data.parquet') WHERE message_id <> 'legacy-undated') TO '${now}/next.parquet' (FORMAT parquet)`,
      );
      duck.closeSync();
      db.closeSync();
      renameSync(join(now, 'next.parquet'), join(now, 'data.parquet'));
      rmSync(join(lake, 'curated', '_state', 'undated-moved.json'));
      expect(await curated(lake)).toEqual([
        { message_id: 'legacy-dated', event_date: '2026-11-02' },
        { message_id: 'legacy-undated', event_date: '1970-01-01' },
      ]);

      const report = await runCompaction({ lakeRoot: lake });

      expect(report.redatedCustomers).toBe(1);
      expect(await curated(lake)).toEqual([
        { message_id: 'legacy-dated', event_date: '2026-11-02' },
        { message_id: 'legacy-undated', event_date: '2026-11-28' },
      ]);
      expect(readdirSync(join(lake, 'curated', 'events', 'customer_id=acme'))).toEqual([
        'event_month=2026-11',
      ]);
      // Done once: a second run takes nothing again.
      expect(await runCompaction({ lakeRoot: lake })).toMatchObject({ redatedCustomers: 0, objectsTaken: 0 });
    } finally {
      rmSync(join(lake, '..'), { recursive: true, force: true });
    }
  });
});
