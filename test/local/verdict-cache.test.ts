import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../domain/core/common/ports';
import { startLocalServer } from '../../local/local-server';
import { VerdictCache } from '../../local/verdict-cache';
import { createTrackMessage } from '../support/factories';
import { makeToken, post } from '../support/local-destination';

const allowed = {
  isAuthorized: true,
  context: { customerId: 'acme', tokenId: 't', eventAliases: '{}', trackingPlan: '' },
};

describe('VerdictCache', () => {
  it('reuses a verdict for the same header and file version, within the TTL only', () => {
    const cache = new VerdictCache(300_000);
    cache.set('Basic abc', 'v1', 1_000, allowed);

    expect(cache.get('Basic abc', 'v1', 1_000 + 299_999)).toBe(allowed);
    expect(cache.get('Basic abc', 'v1', 1_000 + 300_000)).toBeUndefined();
    expect(cache.get('Basic abc', 'v2', 2_000)).toBeUndefined();
    expect(cache.get('Basic abd', 'v1', 2_000)).toBeUndefined();
  });

  it('holds no more than its bound, whatever number of headers it sees, and nothing with a TTL of 0', () => {
    const cache = new VerdictCache(300_000, 10);
    for (let i = 0; i < 25; i++) cache.set(`Basic ${i}`, 'v1', 0, allowed);
    expect(cache.size).toBeLessThanOrEqual(10);

    const off = new VerdictCache(0);
    off.set('Basic abc', 'v1', 0, allowed);
    expect(off.get('Basic abc', 'v1', 0)).toBeUndefined();
  });
});

describe('local server: the authorizer verdict cache', () => {
  it('runs the authorizer once per key while the token file is unchanged, and again after it changes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'verdicts-'));
    const verdicts: string[] = [];
    const logger: Logger = {
      info: (message) => verdicts.push(message),
      warn: (message) => verdicts.push(message),
      error: () => undefined,
    };
    const first = await makeToken(dataDir);
    const destination = await startLocalServer({ dataDir, port: 0, logger, flushIntervalMs: 200 });
    try {
      for (let i = 0; i < 5; i++)
        expect((await post(`${destination.url}/`, createTrackMessage(), first.token)).status).toBe(200);
      expect(verdicts.filter((m) => m === 'allowed')).toHaveLength(1);

      // A second key changes the file: the first key's verdict is made again once the change is seen.
      const second = await makeToken(dataDir);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await post(`${destination.url}/`, createTrackMessage(), second.token)).status).toBe(200);
      expect((await post(`${destination.url}/`, createTrackMessage(), first.token)).status).toBe(200);
      // 3, or 4 if the first key's lastUsedAt was written (another file change) between the two.
      expect(verdicts.filter((m) => m === 'allowed').length).toBeGreaterThanOrEqual(3);
      expect(verdicts.filter((m) => m === 'allowed').length).toBeLessThanOrEqual(4);
    } finally {
      await destination.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
