import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readLake } from '../../local/read-lake';
import { eventually } from '../support/eventually';
import { makeToken, post, spawnDestination, tempDataDir, waitForExit } from '../support/local-destination';

describe('a 2xx survives kill -9', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDataDir('crash-');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lands every acknowledged event exactly once after a hard kill mid-stream and a restart', async () => {
    const { token } = await makeToken(dataDir);
    // A long flush interval: nothing reaches the lake before the kill, so only the spool can save it.
    const first = await spawnDestination(dataDir, { FLUSH_INTERVAL_MS: '600000' });
    const acknowledged = new Set<string>();
    let sent = 0;
    const sender = async (lane: number) => {
      for (let i = 0; ; i++) {
        const ids = [`crash-${lane}-${i}-a`, `crash-${lane}-${i}-b`];
        sent += 1;
        try {
          const batch = ids.map((messageId) => ({
            type: 'track',
            userId: 'u',
            event: 'Replay Tick',
            messageId,
            timestamp: '2024-01-01T00:00:00Z',
          }));
          const answer = await post(`${first.url}/v1/batch`, { batch }, token);
          if (answer.status === 200) for (const id of ids) acknowledged.add(id);
        } catch {
          return; // the server is gone: this request was never acknowledged
        }
      }
    };
    const lanes = [sender(1), sender(2), sender(3), sender(4)];
    await eventually(
      () => acknowledged.size,
      (n) => n >= 200,
      { timeoutMs: 30_000, intervalMs: 5 },
    );
    expect(acknowledged.size).toBeGreaterThanOrEqual(200);

    first.child.kill('SIGKILL');
    await Promise.all(lanes);
    await waitForExit(first.child);
    expect(readLake(join(dataDir, 'lake'), 'events')).toHaveLength(0);

    const second = await spawnDestination(dataDir);
    expect(second.output()).toMatch(/recovered \d+ spooled segment/);
    second.child.kill('SIGTERM');
    expect(await waitForExit(second.child)).toBe(0);

    const landed = readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id as string);
    const counts = new Map<string, number>();
    for (const id of landed) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = [...acknowledged].filter((id) => !counts.has(id));
    const duplicated = [...counts].filter(([, n]) => n > 1);
    expect({ missing, duplicated }).toEqual({ missing: [], duplicated: [] });
    expect(sent).toBeGreaterThan(100);
  });

  it('lands buffered events on SIGTERM before exiting', async () => {
    const { token } = await makeToken(dataDir, 'graceful');
    const server = await spawnDestination(dataDir, { FLUSH_INTERVAL_MS: '600000' });
    expect(
      (
        await post(
          `${server.url}/`,
          { type: 'track', userId: 'u', event: 'x', messageId: 'graceful-1' },
          token,
        )
      ).status,
    ).toBe(200);

    server.child.kill('SIGTERM');

    expect(await waitForExit(server.child)).toBe(0);
    expect(
      readLake(join(dataDir, 'lake'), 'events').filter((l) => l.record.message_id === 'graceful-1'),
    ).toHaveLength(1);
  });
});
