import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { filesUnder, lakeObjectKeys } from '../../local/read-lake';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { eraseNow, startPinnedDestination } from '../support/erasure-runs';
import { lakeLineJson } from '../support/factories';
import { makeToken, post, tempDataDir } from '../support/local-destination';

// An erase is one customer's problem: a damaged landing object is set aside and its salvaged lines
// erased, its damaged copy deleted; a customer whose pass fails is named, and the others are erased.

const before = '2026-11-28T10:00:00.000Z';

async function seeded(): Promise<string> {
  const dataDir = tempDataDir('erase-damaged-');
  const tokens = {
    acme: (await makeToken(dataDir, 'acme')).token,
    beta: (await makeToken(dataDir, 'beta')).token,
  };
  const server = await startPinnedDestination(dataDir);
  try {
    for (const [customer, token] of Object.entries(tokens)) {
      for (let r = 0; r < 3; r++) {
        const batch = Array.from({ length: 30 }, (_, i) => ({
          type: 'track',
          userId: i % 3 === 0 ? `${customer}-gone` : `${customer}-kept-${i}`,
          event: 'E',
          messageId: `${customer}-${r}-${i}`,
          receivedAt: before,
        }));
        expect((await post(`${server.url}/v1/batch`, { batch }, token)).status).toBe(200);
        await server.flush();
      }
      const del = {
        type: 'delete',
        userId: `${customer}-gone`,
        messageId: `del-${customer}`,
        receivedAt: '2026-11-28T11:00:00.000Z',
      };
      expect((await post(`${server.url}/v1/delete`, del, token)).status).toBe(200);
    }
  } finally {
    await server.close();
  }
  await runCompaction({ lakeRoot: join(dataDir, 'lake') });
  return dataDir;
}

const erase = (dataDir: string, onRead?: () => void) => eraseNow(dataDir, onRead ? { onRead } : {});

/** Every byte under the lake (gzip inflated as far as it goes), to look for a user id. */
function lakeText(dataDir: string): string {
  return filesUnder(join(dataDir, 'lake'), () => true)
    .map((file) => {
      const bytes = readFileSync(file);
      try {
        return bytes[0] === 0x1f ? gunzipSync(bytes).toString('latin1') : bytes.toString('latin1');
      } catch {
        return bytes.toString('latin1');
      }
    })
    .join('\n');
}

describe('erase with damaged objects and a failing customer', () => {
  it('erases the user from the salvaged lines and deletes the damaged copy', async () => {
    const dataDir = await seeded();
    try {
      const lake = join(dataDir, 'lake');
      const key = lakeObjectKeys(lake, 'events').find((k) => k.includes('customer_id=acme/'))!;
      const bytes = readFileSync(join(lake, key));
      bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
      writeFileSync(join(lake, key), bytes);

      const summaries = await erase(dataDir);

      expect(summaries.map((s) => s.customerId)).toEqual(['acme', 'beta']);
      expect(lakeText(dataDir)).not.toContain('acme-gone');
      expect(lakeText(dataDir)).not.toContain('beta-gone');
      expect(lakeText(dataDir)).toContain('acme-kept-1');
      // The damaged copy was set aside and deleted; the entry says so.
      expect(readdirSync(join(lake, '_damaged'))).toContain('log.jsonl');
      const acme = new FileErasureLog(dataDir).all().find((e) => e.customer_id === 'acme')!;
      expect(acme.status).toBe('done');
      expect(filesUnder(join(lake, '_damaged', 'events'), (n) => n.endsWith('.gz'))).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a damaged curated partition: set aside, its copy deleted, the partition built again without the user', async () => {
    const dataDir = await seeded();
    try {
      const lake = join(dataDir, 'lake');
      const curated = filesUnder(join(lake, 'curated', 'events', 'customer_id=acme'), (n) =>
        n.endsWith('.parquet'),
      );
      writeFileSync(curated[0]!, 'not parquet');

      await erase(dataDir);

      expect(new FileErasureLog(dataDir).all().every((e) => e.status === 'done')).toBe(true);
      expect(filesUnder(join(lake, '_damaged', 'curated'), (n) => n.endsWith('.parquet'))).toEqual([]);
      expect(lakeText(dataDir)).not.toContain('acme-gone');
      // Compaction builds acme's partition again from the landing zone (already erased).
      expect((await runCompaction({ lakeRoot: lake })).failedCustomers).toEqual([]);
      const rebuilt = filesUnder(join(lake, 'curated', 'events', 'customer_id=acme'), (n) =>
        n.endsWith('.parquet'),
      );
      expect(rebuilt).toHaveLength(1);
      expect(lakeText(dataDir)).not.toContain('acme-gone');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a customer whose pass fails is named, and the other customer's delete is still done", async () => {
    const dataDir = await seeded();
    try {
      const lake = join(dataDir, 'lake');
      // acme's user keeps sending: a late retry lands at every read, so acme's pass never verifies clean.
      let late = 0;
      const land = () => {
        const dir = join(lake, 'events', 'customer_id=acme', 'received_dt=2026-11-28');
        const line = {
          ...JSON.parse(lakeLineJson('events', `late-${++late}`)),
          customer_id: 'acme',
          user_id: 'acme-gone',
          received_at: before,
          message: { receivedAt: before },
        };
        writeFileSync(join(dir, `late-${late}.gz`), gzipSync(`${JSON.stringify(line)}\n`));
      };

      await expect(erase(dataDir, land)).rejects.toThrow(
        /erase failed for 1 customer\(s\).*acme: erase of acme left/,
      );

      const entries = new FileErasureLog(dataDir).all();
      expect(entries.find((e) => e.customer_id === 'beta')!.status).toBe('done');
      expect(entries.find((e) => e.customer_id === 'acme')!.status).toBe('pending');
      expect(lakeText(dataDir)).not.toContain('beta-gone');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
