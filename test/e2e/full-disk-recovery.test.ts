import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveFor } from '../../adapters/local/spooling-lake-sink';
import { jsonLogger } from '../../adapters/system/json-logger';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { readLake } from '../../local/read-lake';
import { stopServer } from '../../local/spawn-destination';
import { createTrackMessage } from '../support/factories';
import { itWhen } from '../support/left-out';
import { makeToken, post, spawnDestination } from '../support/local-destination';
import { canMountTmpfs, fillDisk } from '../support/tmpfs';

// Short back-off: on a full disk a request is answered 503 at once, and Segment (here: the test) resends.
const RETRY = { budgetMs: 150, baseDelayMs: 5, maxDelayMs: 20, retryAfterSeconds: 1, throttleBudgetMs: 150 };

const canMount = canMountTmpfs();

async function onTmpfs(size: string, run: (dataDir: string) => Promise<void>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dataDir]);
  try {
    await run(dataDir);
  } finally {
    execFileSync('umount', ['-l', dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * `workers` senders, each of `batches` 20-event batches, each resent until acknowledged (as Segment
 * does with a 503): what was acknowledged, and every status seen.
 */
function load(url: () => string, token: string, workers: number, batches: number, pad: number) {
  const acknowledged = new Set<string>();
  const statuses: number[] = [];
  const worker = async (w: number) => {
    for (let b = 0; b < batches; b++) {
      const ids = Array.from({ length: 20 }, (_, i) => `w${w}-${b}-${i}`);
      const batch = ids.map((messageId) =>
        createTrackMessage({ messageId, properties: { pad: 'x'.repeat(pad) } }),
      );
      for (let attempt = 0; ; attempt++) {
        const answer = await post(`${url()}/v1/batch`, { batch }, token).catch(() => ({ status: 0 }));
        statuses.push(answer.status);
        if (answer.status === 200) {
          for (const id of ids) acknowledged.add(id);
          break;
        }
        if (attempt > 1_000) throw new Error(`batch w${w}-${b} never acknowledged`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return { acknowledged, statuses, done };
}

const landedIds = (dataDir: string) =>
  new Set(readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id));

async function eventuallyLanded(dataDir: string, ids: Set<string>, withinMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const landed = landedIds(dataDir);
    const missing = [...ids].filter((id) => !landed.has(id));
    if (missing.length === 0) return Date.now() - start;
    if (Date.now() - start > withinMs)
      throw new Error(
        `${missing.length} acknowledged ids not landed after ${withinMs} ms, e.g. ${missing[0]}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a full disk is a state the server leaves by itself', () => {
  for (const size of ['4m', '8m'])
    itWhen(canMount, 'recovery on a real full tmpfs: mounting one needs root')(
      `on a ${size} tmpfs, landing alone makes the room: 503 while full, 200 again, every acknowledged id landed`,
      async () => {
        await onTmpfs(size, async (dataDir) => {
          const { token } = await makeToken(dataDir);
          let destination: LocalDestination | undefined = await startLocalServer({
            dataDir,
            port: 0,
            logger: jsonLogger('tmpfs'),
            // No retry inside the request: a full disk is answered 503 at once, and the sender resends.
            retry: { ...RETRY, budgetMs: 1 },
            flushIntervalMs: 1_000,
          });
          try {
            // A filler leaves 1 MiB beside the reserve; the load is three times that, raw: the spool fills
            // the room within a landing interval, and only landing (gzip) makes room again.
            const capacity = size === '4m' ? 4 * 2 ** 20 : 8 * 2 ** 20;
            const filler = join(dataDir, 'filler');
            writeFileSync(filler, Buffer.alloc(capacity - reserveFor(capacity) - 2 ** 20, 1));
            const batches = Math.ceil((3 * 2 ** 20) / (4 * 20 * 1_700));
            const traffic = load(() => destination!.url, token, 4, batches, 1_500);
            await traffic.done;
            expect(traffic.statuses.filter((c) => c !== 200 && c !== 503)).toEqual([]);
            expect(traffic.statuses.filter((c) => c === 503).length).toBeGreaterThan(0);
            expect(traffic.acknowledged.size).toBe(4 * batches * 20);
            await eventuallyLanded(dataDir, traffic.acknowledged, 10_000);

            // The filler grows to the last byte, and senders are refused until it is deleted: within 10 s
            // of space returning, every acknowledged id is in the lake, the mount never enlarged.
            // The first round's landing done to its end (segments removed, the reserve back) before the disk
            // is filled: else its last steps free room after the fill, and senders are rightly accepted.
            await destination.flush();
            fillDisk(filler);
            const again = load(() => destination!.url, token, 2, 3, 1_500);
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            expect(again.acknowledged.size).toBe(0);
            unlinkSync(filler);
            const freedAt = Date.now();
            await again.done;
            await eventuallyLanded(dataDir, again.acknowledged, 10_000);
            expect(Date.now() - freedAt).toBeLessThan(10_000);
            await destination.close();
            destination = undefined;
            expect(existsSync(join(dataDir, 'spool', 'damaged'))).toBe(false);
          } finally {
            await destination?.close().catch(() => undefined);
          }
        });
      },
      90_000,
    );

  itWhen(canMount, 'recovery on a real full tmpfs: mounting one needs root')(
    'restarts after kill -9 on a disk filled to the last byte: lands first, then serves',
    async () => {
      await onTmpfs('4m', async (dataDir) => {
        const { token } = await makeToken(dataDir);
        const first = await spawnDestination(dataDir, { FLUSH_INTERVAL_MS: '600000' });
        const ids = Array.from({ length: 40 }, (_, i) => `k-${i}`);
        const answer = await post(
          `${first.url}/v1/batch`,
          { batch: ids.map((messageId) => createTrackMessage({ messageId })) },
          token,
        );
        expect(answer.status).toBe(200);
        await stopServer(first.child, 'SIGKILL');
        expect(readdirSync(join(dataDir, 'spool')).some((f) => f.endsWith('.spool'))).toBe(true);
        fillDisk(join(dataDir, 'filler'));

        const second = await spawnDestination(dataDir, { FLUSH_INTERVAL_MS: '100' });
        try {
          await eventuallyLanded(dataDir, new Set(ids), 10_000);
        } finally {
          await stopServer(second.child);
        }
      });
    },
    60_000,
  );
});
