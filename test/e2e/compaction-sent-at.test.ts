import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonLogger } from '../../adapters/system/json-logger';
import { duckdbReadCurated } from '../../domain/contract/sql/duckdb-lake-sql';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { curatedFiles } from '../../local/read-lake';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { createPinnedClock, createTrackMessage } from '../support/factories';
import { makeToken, post, tempDataDir } from '../support/local-destination';

/**
 * A message with no `timestamp`, `originalTimestamp` or `receivedAt` is dated by `sentAt`, which the
 * client sets anew on each attempt: its copies may carry different event dates. The curated table
 * still holds one row per message, the first received, whichever run each copy arrives in.
 */
describe('compaction of messages dated by sentAt', () => {
  let dataDir: string;
  let lake: string;
  let destination: LocalDestination;
  let token: string;
  let now = Date.parse('2026-03-10T10:00:00Z');

  /** A track message dated only by sentAt: no timestamp field at all. */
  const sentAtOnly = (messageId: string, sentAt: string, attempt: number) => {
    const { timestamp: _, ...message } = createTrackMessage({ messageId, sentAt, properties: { attempt } });
    return message;
  };
  const send = async (batch: Record<string, unknown>[]) => {
    now += 60_000;
    expect((await post(`${destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
    await destination.flush();
  };
  const rows = async (messageId: string) => {
    const db = await DuckDBInstance.create(':memory:');
    const duck = await db.connect();
    try {
      return (
        await duck.runAndReadAll(
          `SELECT CAST(event_date AS VARCHAR) AS d, properties FROM ${duckdbReadCurated(curatedFiles(lake))} WHERE message_id = '${messageId}'`,
        )
      )
        .getRowObjectsJson()
        .map((r) => ({ date: r.d, attempt: JSON.parse(String(r.properties)).attempt }));
    } finally {
      duck.closeSync();
      db.closeSync();
    }
  };

  beforeEach(async () => {
    dataDir = tempDataDir('compact-sent-at-');
    lake = join(dataDir, 'lake');
    token = (await makeToken(dataDir, 'acme')).token;
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('compact-sent-at'),
      clock: { ...createPinnedClock(now), now: () => now },
      flushIntervalMs: 600_000,
    });
  });
  afterEach(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the first copy when a resend with another sentAt date arrives in a later run', async () => {
    await send([sentAtOnly('s-1', '2025-05-01T23:59:00Z', 1)]);
    await runCompaction({ lakeRoot: lake });
    await send([sentAtOnly('s-1', '2025-05-02T00:01:00Z', 2)]);
    await send([sentAtOnly('s-1', '2025-05-09T08:00:00Z', 3)]);

    await runCompaction({ lakeRoot: lake });

    expect(await rows('s-1')).toEqual([{ date: '2025-05-01', attempt: 1 }]);
  });

  it('keeps the first received of copies with different dates in one run', async () => {
    await send([sentAtOnly('s-2', '2025-06-01T10:00:00Z', 1)]);
    await send([sentAtOnly('s-2', '2025-06-03T10:00:00Z', 2)]);

    await runCompaction({ lakeRoot: lake });
    await runCompaction({ lakeRoot: lake });

    expect(await rows('s-2')).toEqual([{ date: '2025-06-01', attempt: 1 }]);
  });

  it('leaves messages dated by their own timestamp in their date, as before', async () => {
    await send([
      createTrackMessage({ messageId: 't-1', timestamp: '2025-07-01T10:00:00Z', properties: { attempt: 1 } }),
    ]);
    await runCompaction({ lakeRoot: lake });
    await send([sentAtOnly('s-3', '2025-07-01T10:00:00Z', 1)]);
    await runCompaction({ lakeRoot: lake });

    expect(await rows('t-1')).toEqual([{ date: '2025-07-01', attempt: 1 }]);
    expect(await rows('s-3')).toEqual([{ date: '2025-07-01', attempt: 1 }]);
  });
});
