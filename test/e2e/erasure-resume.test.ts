import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { encodeSpoolRecord } from '../../adapters/local/spool-format';
import { jsonLogger } from '../../adapters/system/json-logger';
import type { ErasureRunOptions } from '../../local/erasure/run-erasure';
import { startLocalServer } from '../../local/local-server';
import { readLake } from '../../local/read-lake';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { eraseNow, startPinnedDestination } from '../support/erasure-runs';
import { createPinnedClock } from '../support/factories';
import { makeToken, post, tempDataDir } from '../support/local-destination';

const USER = 'user-resume-1';
const before = '2026-11-28T10:00:00.000Z';

/** A DATA_DIR with the user's data in every place, a pending delete, and no server running. */
async function seeded(): Promise<string> {
  const dataDir = tempDataDir('erase-resume-');
  const { token } = await makeToken(dataDir, 'acme');
  // Only the explicit flushes below land objects: the redrive state names a line by its index in an
  // object, so a background flush between two posts must not split a round's quarantine lines.
  const server = await startPinnedDestination(dataDir);
  const batch = (n: number, user: string) =>
    Array.from({ length: n }, (_, i) => ({
      type: 'track',
      userId: user,
      event: 'E',
      messageId: `${user}-${i}`,
      receivedAt: before,
    }));
  for (let r = 0; r < 3; r++) {
    await post(
      `${server.url}/v1/batch`,
      {
        batch: [
          ...batch(4, USER).map((m) => ({ ...m, messageId: `${m.messageId}-${r}` })),
          ...batch(2, `keep-${r}`),
        ],
      },
      token,
    );
    await post(`${server.url}/v1/track`, { userId: USER, messageId: `bad-${r}`, receivedAt: before }, token); // quarantined: no event
    await post(
      `${server.url}/v1/track`,
      { userId: `other-${r}`, messageId: `bad-other-${r}`, receivedAt: before },
      token,
    );
    await server.flush();
  }
  await post(
    `${server.url}/v1/delete`,
    { type: 'delete', userId: USER, messageId: 'del-1', receivedAt: '2026-11-28T11:00:00.000Z' },
    token,
  );
  await server.close();
  await runCompaction({ lakeRoot: join(dataDir, 'lake') });
  // A damaged segment kept for inspection, with an intact record of the user's and one of someone else's.
  mkdirSync(join(dataDir, 'spool', 'damaged'), { recursive: true });
  const record = (user: string, id: string) =>
    encodeSpoolRecord({
      area: 'events',
      customerId: 'acme',
      dt: '2026-11-28',
      data: `${JSON.stringify({ area: 'events', customer_id: 'acme', user_id: user, message_id: id, received_at: before, message: {} })}\n`,
    });
  writeFileSync(
    join(dataDir, 'spool', 'damaged', 'local-x.spool'),
    Buffer.concat([record(USER, 'sp-1'), Buffer.from('garbage\n'), record('keep-9', 'sp-2')]),
  );
  // Redrive's state names quarantine lines by index: the other customer's second line was redriven.
  const quarantineKey = readLake(join(dataDir, 'lake'), 'quarantine')[0]!.key;
  mkdirSync(join(dataDir, 'lake', 'redrive'), { recursive: true });
  writeFileSync(
    join(dataDir, 'lake', 'redrive', 'quarantine-redriven.json'),
    JSON.stringify([`${quarantineKey}#1`]),
  );
  return dataDir;
}

const run = (dataDir: string, crashPoint?: ErasureRunOptions['crashPoint']) =>
  eraseNow(dataDir, crashPoint ? { crashPoint } : {});

describe('local erase: resumable and idempotent under kills at every step', () => {
  let seed: string;
  let expected: unknown;

  beforeAll(async () => {
    seed = await seeded();
    const clean = tempDataDir('erase-clean-');
    cpSync(seed, clean, { recursive: true });
    await run(clean);
    expected = new FileErasureLog(clean).all().map(({ executed_at: _at, ...rest }) => rest);
    expect(expected).toEqual([
      expect.objectContaining({
        status: 'done',
        rows_removed: expect.objectContaining({ events: 12, quarantine: 3, curated: 12, spool_damaged: 1 }),
      }),
    ]);
    const redriven = JSON.parse(
      readFileSync(join(clean, 'lake', 'redrive', 'quarantine-redriven.json'), 'utf8'),
    ) as string[];
    // The user's quarantine line came first in that object: the redriven line is index 0 now.
    expect(redriven).toEqual([expect.stringMatching(/#0$/)]);
    rmSync(clean, { recursive: true, force: true });
  });

  it('killed at the k-th step, for every k, the next run finishes with the same audit; a further run changes nothing', async () => {
    let k = 0;
    for (;;) {
      k += 1;
      const dir = tempDataDir('erase-kill-');
      cpSync(seed, dir, { recursive: true });
      let steps = 0;
      let killed = false;
      await run(dir, () => {
        steps += 1;
        if (steps === k) {
          killed = true;
          throw new Error('kill -9');
        }
      }).catch((error: Error) => expect(error.message).toBe('kill -9'));
      if (!killed) {
        rmSync(dir, { recursive: true, force: true });
        break;
      }
      await run(dir);
      const audit = new FileErasureLog(dir).all().map(({ executed_at: _at, ...rest }) => rest);
      expect([k, audit]).toEqual([k, expected]);
      expect(await run(dir)).toEqual([]);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(k).toBeGreaterThan(10);
  });

  it('a server started after a kill between the audit and the end of the pass removes the plan that holds the ids', async () => {
    const dir = tempDataDir('erase-kill-audited-');
    cpSync(seed, dir, { recursive: true });
    await run(dir, (point) => {
      if (point === 'audited') throw new Error('kill -9');
    }).catch(() => undefined);
    expect(readdirSync(join(dir, 'erasure')).some((f) => f.startsWith('run-'))).toBe(true);

    const server = await startLocalServer({
      dataDir: dir,
      port: 0,
      logger: jsonLogger('e2e'),
      clock: createPinnedClock(),
    });
    await server.eraseDue();
    await server.close();

    expect(readdirSync(join(dir, 'erasure')).filter((f) => f.startsWith('run-'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
