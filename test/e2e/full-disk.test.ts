import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLogger } from '../../adapters/system/json-logger';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { readLake } from '../../local/read-lake';
import { createPinnedClock, createTrackMessage } from '../support/factories';
import { faultyFiles } from '../support/faulty-files';
import { itWhen } from '../support/left-out';
import { makeToken, post } from '../support/local-destination';
import { canMountTmpfs, fillDisk } from '../support/tmpfs';

// Short back-off so a request on a full disk is answered 503 in well under a second.
const RETRY = { budgetMs: 150, baseDelayMs: 5, maxDelayMs: 20, retryAfterSeconds: 1, throttleBudgetMs: 150 };

/** Sends batches of `size` events; resolves with the ids of the batches answered 200 and the statuses seen. */
function sender(destination: () => LocalDestination, token: string) {
  const acknowledged = new Set<string>();
  const statuses: number[] = [];
  const send = async (ids: string[], pad = 0) => {
    const batch = ids.map((messageId) =>
      createTrackMessage({ messageId, properties: { pad: 'x'.repeat(pad) } }),
    );
    const answer = await post(`${destination().url}/v1/batch`, { batch }, token);
    statuses.push(answer.status);
    if (answer.status === 200) for (const id of ids) acknowledged.add(id);
    return answer.status;
  };
  /** Resends, as Segment does, until the batch is acknowledged (bounded). */
  const resendUntilStored = async (ids: string[]) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await send(ids)) === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`never acknowledged: ${ids[0]}`);
  };
  return { acknowledged, statuses, send, resendUntilStored };
}

const batchIds = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

function expectEveryAcknowledgedLanded(dataDir: string, acknowledged: Set<string>) {
  const landed = new Set(readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id));
  expect([...acknowledged].filter((id) => !landed.has(id))).toEqual([]);
}

describe('a full disk: no 2xx for unstored bytes, no crash, recovery when space returns', () => {
  it('with injected short writes and ENOSPC, through HTTP', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'disk-faults-'));
    const { token } = await makeToken(dataDir);
    const files = faultyFiles();
    const destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('full-disk'),
      clock: createPinnedClock(),
      retry: RETRY,
      flushIntervalMs: 600_000, // landing only when the test says
      files,
    });
    const s = sender(() => destination, token);
    try {
      for (let round = 0; round < 10; round++) await s.send(batchIds(`ok-${round}`, 10));
      const failed: string[][] = [];
      for (let round = 0; round < 10; round++) {
        files.faults = { spaceLeft: round * 700 }; // from nothing to a short write mid-batch
        const ids = batchIds(`full-${round}`, 10);
        if ((await s.send(ids, 200)) !== 200) failed.push(ids);
      }
      // A full disk had the sink land at once (with its reserve); landing failing too is retried.
      files.faults = { landingFails: true };
      await destination.flush().catch(() => undefined);
      files.faults = {};
      for (const ids of failed) await s.resendUntilStored(ids);
      await destination.flush();

      expect(failed.length).toBeGreaterThan(5);
      expect(s.statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
      expectEveryAcknowledgedLanded(dataDir, s.acknowledged);
      expect(s.acknowledged.size).toBe(200);
    } finally {
      await destination.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // A real small tmpfs, as a hostile operator would try it: needs root (CI runs as root).
  const asRoot = canMountTmpfs();
  itWhen(asRoot, 'a real 4 MiB tmpfs filled to the last byte: mounting one needs root')(
    'on a real 4 MiB tmpfs filled to the last byte',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tmpfs-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dataDir]);
      let destination: LocalDestination | undefined;
      try {
        const { token } = await makeToken(dataDir);
        destination = await startLocalServer({
          dataDir,
          port: 0,
          logger: jsonLogger('tmpfs'),
          clock: createPinnedClock(),
          retry: RETRY,
          flushIntervalMs: 100,
        });
        const s = sender(() => destination!, token);
        for (let round = 0; round < 5; round++) await s.send(batchIds(`before-${round}`, 20), 500);
        const filler = join(dataDir, 'filler');
        fillDisk(filler);
        const failed: string[][] = [];
        for (let round = 0; round < 10; round++) {
          const ids = batchIds(`full-${round}`, 20);
          if ((await s.send(ids, 2_000)) !== 200) failed.push(ids);
        }
        await destination.flush().catch(() => undefined); // landing on a full disk fails, and is retried
        unlinkSync(filler);
        for (const ids of failed) await s.resendUntilStored(ids);
        await destination.close();
        destination = undefined;

        expect(failed.length).toBeGreaterThan(0);
        expect(s.statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
        expectEveryAcknowledgedLanded(dataDir, s.acknowledged);
        expect(s.acknowledged.size).toBe(300);
      } finally {
        await destination?.close().catch(() => undefined);
        execFileSync('umount', [dataDir]);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
