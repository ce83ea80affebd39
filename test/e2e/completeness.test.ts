import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FaultInjectingSink } from '../../adapters/faults/fault-injecting-sink';
import { jsonLogger } from '../../adapters/system/json-logger';
import type { RecordSink } from '../../domain/core/common/ports';
import { localCompleteness } from '../../local/completeness';
import { startLocalServer } from '../../local/local-server';
import { readLake } from '../../local/read-lake';
import { createPinnedClock, createTrackMessage } from '../support/factories';
import { makeToken, post, tempDataDir } from '../support/local-destination';

describe('completeness is exact per request, under faults and resends', () => {
  it('reports zero missing and zero surplus after throttles, crashes and resends — and a planted loss', async () => {
    const dataDir = tempDataDir('completeness-');
    const tokens = {
      acme: (await makeToken(dataDir, 'acme')).token,
      beta: (await makeToken(dataDir, 'beta')).token,
    };
    const destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('completeness'),
      clock: createPinnedClock(),
      retry: { budgetMs: 1, baseDelayMs: 2, maxDelayMs: 2, retryAfterSeconds: 1, throttleBudgetMs: 1 }, // one retry at most: throttles become 503s
      flushIntervalMs: 600_000,
      wrapSink: (sink: RecordSink) =>
        new FaultInjectingSink(sink, { throttleRate: 0.3, crashRate: 0.05, seed: 11 }),
    });
    const statuses = new Map<number, number>();
    try {
      const acknowledged = new Set<string>();
      for (let i = 0; i < 40; i++) {
        for (const [customer, token] of Object.entries(tokens)) {
          const ids = [0, 1, 2, 3, 4].map((j) => `${customer}-${i}-${j}`);
          const batch = ids.map((messageId, j) =>
            createTrackMessage({ messageId, timestamp: `2026-0${1 + (j % 3)}-15T10:00:00Z` }),
          );
          // As Segment does: resend the same messages until they are acknowledged (bounded here).
          for (let attempt = 0; attempt < 100; attempt++) {
            const { status } = await post(`${destination.url}/v1/batch`, { batch }, token);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 200) break;
          }
          for (const id of ids) acknowledged.add(id);
        }
      }
      await destination.flush();
      const lake = join(dataDir, 'lake');
      const report = () => localCompleteness(lake);

      const rows = await report();

      expect(statuses.get(503)).toBeGreaterThan(10); // the faults really happened
      expect(statuses.get(500)).toBeGreaterThan(0);
      expect(rows.map((r) => [r.customer_id, r.dt, r.missing, r.surplus])).toEqual([
        ['acme', '2026-11-28', 0, 0],
        ['beta', '2026-11-28', 0, 0],
      ]);
      for (const row of rows) {
        // A crash after the ledger line was stored answers 500 and the sender resends: such a request is
        // ledgered twice, under two request ids, and each is complete on its own.
        expect(row.requests).toBeGreaterThanOrEqual(40);
        expect(row.landed).toBe(row.accepted);
        expect(row.accepted).toBe(5 * row.requests);
      }
      expect(rows.reduce((sum, r) => sum + r.unacknowledged, 0)).toBeGreaterThan(0); // stored, then 503, then resent
      const landed = new Set(readLake(lake, 'events').map((l) => l.record.message_id));
      expect([...acknowledged].filter((id) => !landed.has(id))).toEqual([]);

      // Plant a loss: an event of an acknowledged (ledgered) request disappears from the lake.
      const ledgered = new Set(readLake(lake, 'ledger').map((l) => l.record.request_id));
      const victim = readLake(lake, 'events').find(
        (l) => l.record.customer_id === 'beta' && ledgered.has(l.record.request_id),
      )!;
      const file = join(lake, victim.key);
      const kept = gunzipSync(readFileSync(file))
        .toString()
        .split('\n')
        .filter((line) => line && JSON.parse(line).message_id !== victim.record.message_id);
      writeFileSync(file, gzipSync(`${kept.join('\n')}\n`));
      // That was the only copy of the message under its request id.
      expect(
        readLake(lake, 'events').filter(
          (l) =>
            l.record.request_id === victim.record.request_id &&
            l.record.message_id === victim.record.message_id,
        ),
      ).toEqual([]);

      const after = await report();

      const beta = after.find((r) => r.customer_id === 'beta')!;
      expect([beta.missing, beta.surplus]).toEqual([1, 0]);
      expect(after.find((r) => r.customer_id === 'acme')!.missing).toBe(0);
    } finally {
      await destination.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
