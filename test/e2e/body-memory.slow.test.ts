import { readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { stopServer } from '../../local/spawn-destination';
import { createTrackMessage } from '../support/factories';
import { makeToken, post, spawnDestination, tempDataDir } from '../support/local-destination';

// The stated bound (docs/local-dev.md, "Memory"): `npm start` stays under 1.5 GiB of RSS however many
// maximal bodies (gzip, inflating to ~31 MB) arrive at once. Measured as the server process's
// own high-water mark (VmHWM), with 16 sent at once and resent on 503 as Segment does.

const STATED_MAX_RSS_BYTES = 1.5 * 1024 ** 3;
const CONCURRENT = 16;

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

it(`npm start stays under 1.5 GiB RSS with ${CONCURRENT} maximal gzip bodies at once`, async () => {
  const dataDir = tempDataDir('body-memory-');
  const { token } = await makeToken(dataDir, 'acme');
  const server = await spawnDestination(dataDir, { LOG_LEVEL: 'warn' });
  try {
    const batch = Array.from({ length: 1_000 }, (_, i) =>
      createTrackMessage({ messageId: `max-${i}`, properties: { blob: `${i}-`.padEnd(30_000, 'xyz') } }),
    );
    const body = gzipSync(JSON.stringify({ batch }), { level: 1 });
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        for (let attempt = 0; attempt < 200; attempt++) {
          const { status } = await post(`${server.url}/v1/batch`, body, token, {
            'content-encoding': 'gzip',
          });
          statuses.push(status);
          if (status !== 503) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    );

    expect(statuses.filter((s) => s === 200)).toHaveLength(CONCURRENT);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(peakRss(server.child.pid!)).toBeLessThan(STATED_MAX_RSS_BYTES);
  } finally {
    await stopServer(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 300_000);
