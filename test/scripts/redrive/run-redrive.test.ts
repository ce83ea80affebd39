import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileTokenStore } from '../../../adapters/local/file-token-store';
import { localLakeStore } from '../../../scripts/redrive/lake-store';
import { runRedrive } from '../../../scripts/redrive/run-redrive';
import { lakeLineJson } from '../../support/factories';
import { makeToken, tempDataDir } from '../../support/local-destination';
import { MemorySink } from '../../support/memory/memory-sink';

// One damaged object never stops a redrive: it is left where it is and named, and the rest is redriven.

it('redrives the readable quarantine and names the damaged object', async () => {
  const dataDir = tempDataDir('redrive-unreadable-');
  try {
    await makeToken(dataDir, 'acme');
    const lake = join(dataDir, 'lake');
    const dir = join(lake, 'quarantine', 'customer_id=_all', 'received_dt=2026-01-01');
    mkdirSync(dir, { recursive: true });
    const valid = JSON.parse(lakeLineJson('quarantine', 'q-1')) as Record<string, unknown>;
    const entry = {
      ...valid,
      raw: {
        type: 'track',
        event: 'Signed Up',
        userId: 'u-1',
        messageId: 'q-1',
        timestamp: '2026-01-01T09:00:00Z',
      },
    };
    writeFileSync(join(dir, 'a.gz'), gzipSync(`${JSON.stringify(entry)}\n`));
    const broken = gzipSync(`${JSON.stringify({ ...entry, message_id: 'q-2' })}\n`);
    broken[Math.floor(broken.length / 2)]! ^= 0xff;
    writeFileSync(join(dir, 'b.gz'), broken);
    const sink = new MemorySink();

    const report = await runRedrive(localLakeStore(lake), sink, new FileTokenStore(dataDir));

    expect(report.unreadableObjects).toEqual(['quarantine/customer_id=_all/received_dt=2026-01-01/b.gz']);
    expect(report.quarantineNowValid).toBe(1);
    expect(sink.lines('events').map((l) => l.message_id)).toEqual(['q-1']);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
