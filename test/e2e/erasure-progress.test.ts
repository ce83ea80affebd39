import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { localCompleteness } from '../../local/completeness';
import { filesUnder } from '../../local/read-lake';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { eraseNow, startPinnedDestination } from '../support/erasure-runs';
import { lakeLineJson } from '../support/factories';
import { makeToken, post, tempDataDir } from '../support/local-destination';

// An erase always makes progress: rows that land while a pass runs, or that a compaction merges into a
// partition the pass had done, are erased by the pass (or by its next run); a later delete behind a
// failing one is executed once it finishes; completeness counts removed rows as erased at once; and
// what a killed compaction staged never outlives a pass.

const before = '2026-11-28T10:00:00.000Z';
const USER = 'acme-gone';

async function seeded(): Promise<{ dataDir: string; token: string }> {
  const dataDir = tempDataDir('erase-progress-');
  const { token } = await makeToken(dataDir, 'acme');
  const server = await startPinnedDestination(dataDir);
  try {
    for (let r = 0; r < 2; r++) {
      const batch = Array.from({ length: 20 }, (_, i) => ({
        type: 'track',
        userId: i % 2 === 0 ? USER : `acme-kept-${i}`,
        event: 'E',
        messageId: `m-${r}-${i}`,
        receivedAt: before,
        timestamp: before,
      }));
      expect((await post(`${server.url}/v1/batch`, { batch }, token)).status).toBe(200);
      await server.flush();
    }
    const del = { type: 'delete', userId: USER, messageId: 'del-1', receivedAt: '2026-11-28T11:00:00.000Z' };
    expect((await post(`${server.url}/v1/delete`, del, token)).status).toBe(200);
  } finally {
    await server.close();
  }
  await runCompaction({ lakeRoot: join(dataDir, 'lake') });
  return { dataDir, token };
}

/** A late retry of one of the user's messages (Segment received it before the delete) landing now. */
let late = 0;
function landLateRetry(dataDir: string): void {
  late += 1;
  const dir = join(dataDir, 'lake', 'events', 'customer_id=acme', 'received_dt=2026-11-28');
  mkdirSync(dir, { recursive: true });
  const line = JSON.parse(lakeLineJson('events', `late-${late}`)) as Record<string, unknown>;
  const record = {
    ...line,
    user_id: USER,
    received_at: '2026-11-28T10:30:00.000Z',
    dt: '2026-11-28',
    event_date: '2026-11-28',
    message: { userId: USER, receivedAt: before },
  };
  writeFileSync(join(dir, `late-${late}.gz`), gzipSync(`${JSON.stringify(record)}\n`));
}

const erase = eraseNow;

const userRows = (dataDir: string) =>
  filesUnder(join(dataDir, 'lake'), (n) => n.endsWith('.gz'))
    .map((f) => readFileSync(f))
    .filter((bytes) => bytes.length > 0)
    .some((bytes) => gunzipSync(bytes).toString().includes(USER));

describe('an erase always makes progress', () => {
  it('erases rows that land while the pass runs, within the pass', async () => {
    const { dataDir } = await seeded();
    try {
      let landed = 0;
      const [summary] = await erase(dataDir, {
        onProgress: () => {
          if (landed++ === 0) landLateRetry(dataDir);
        },
      });

      expect(summary).toMatchObject({ customerId: 'acme', remainingAfter: 0 });
      expect(userRows(dataDir)).toBe(false);
      expect(new FileErasureLog(dataDir).all().every((e) => e.status === 'done')).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a pass that fails (rows keep landing) counts what it removed as erased, and its next run finishes it and a later delete', async () => {
    const { dataDir } = await seeded();
    try {
      // Rows land in every round: the pass fails after its last round.
      await expect(erase(dataDir, { onRead: () => landLateRetry(dataDir) })).rejects.toThrow(
        /left \d+ rows about the users after 3 rounds/,
      );
      // Completeness: the rows the failed pass removed are erased, not missing.
      for (const row of await localCompleteness(join(dataDir, 'lake'))) expect(row.missing).toBe(0);
      // A compaction merges the late rows into partitions the pass had done; a second delete arrives.
      await runCompaction({ lakeRoot: join(dataDir, 'lake') });
      await new FileErasureLog(dataDir).record([
        {
          customer_id: 'acme',
          message_id: 'del-2',
          user_id: 'acme-kept-1',
          received_at: '2026-11-28T12:00:00.000Z',
          cutoff_at: '2026-11-28T11:00:00.000Z',
        },
      ]);

      const summaries = await erase(dataDir);

      // The interrupted pass (del-1) is finished, then the delete that came meanwhile gets its own pass.
      expect(summaries.map((x) => [x.customerId, x.requests])).toEqual([
        ['acme', 1],
        ['acme', 1],
      ]);
      expect(new FileErasureLog(dataDir).all().map((e) => [e.message_id, e.status])).toEqual([
        ['del-1', 'done'],
        ['del-2', 'done'],
      ]);
      expect(userRows(dataDir)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('removes what a killed compaction staged before it reads anything', async () => {
    const { dataDir } = await seeded();
    try {
      const lake = join(dataDir, 'lake');
      const [partition] = filesUnder(join(lake, 'curated', 'events', 'customer_id=acme'), (n) =>
        n.endsWith('.parquet'),
      );
      const staged = join(lake, 'curated', '_staging', 'run-killed', '1.parquet');
      mkdirSync(join(staged, '..'), { recursive: true });
      cpSync(partition!, staged);

      await erase(dataDir);

      expect(filesUnder(join(lake, 'curated', '_staging'), () => true)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
