import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLogger } from '../../../adapters/system/json-logger';
import { startLocalServer } from '../../../local/local-server';
import { localLakeIds } from '../../../scripts/load/lake-ids';
import { createPinnedClock, createTrackMessage } from '../../support/factories';
import { makeToken, post, tempDataDir } from '../../support/local-destination';

// Found by `npm run load`: its reconciliation chose quarantine lines by a per-customer path, but
// quarantine lines of every customer share one landing partition, so it found none of them.
describe("the load run's view of the lake", () => {
  it("finds each customer's events and quarantined messages, and no other customer's", async () => {
    const dataDir = tempDataDir('lake-ids-');
    const tokens = {
      a: (await makeToken(dataDir, 'load-a')).token,
      b: (await makeToken(dataDir, 'load-b')).token,
    };
    const destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('lake-ids'),
      clock: createPinnedClock(),
    });
    try {
      for (const [name, token] of Object.entries(tokens)) {
        const batch = [
          createTrackMessage({ messageId: `${name}-ok` }),
          createTrackMessage({ messageId: `${name}-bad`, event: undefined }),
        ];
        expect((await post(`${destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
      }
      await destination.flush();

      const lake = localLakeIds(join(dataDir, 'lake'), ['load-a']);

      expect(lake).toEqual({ events: ['a-ok'], quarantine: ['a-bad'] });
    } finally {
      await destination.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
