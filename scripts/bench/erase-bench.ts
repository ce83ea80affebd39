import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { lakeDir, lakeObjectKey } from '../../adapters/local/lake-layout';
import { rowsRemoved } from '../../domain/contract/erasure';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { runErasure } from '../../local/erasure/run-erasure';
import { filesUnder } from '../../local/read-lake';

/** What the erase part of `npm run bench` measured. */
export interface EraseBenchResult {
  customers: number;
  eventsPerCustomer: number;
  usersErased: number;
  rowsRemoved: number;
  /** The erased customer's landing bytes, and every customer's. */
  customerBytes: number;
  lakeBytes: number;
  /** Bytes the pass read: the link pass, the rewrite and the verification each read the customer's files. */
  bytesRead: number;
  ratioToCustomer: number;
  ratioToLake: number;
  seconds: number;
}

const USERS_PER_CUSTOMER = 2_000;
const EVENTS_PER_FILE = 5_000;
const NOW = Date.parse('2026-11-28T00:00:00.000Z');

/**
 * Erases `users` users of one customer among `customers` customers of `eventsPerCustomer` events each
 * (a tenth of them identifies that link an anonymous id), in one pass, and counts the bytes the pass
 * reads against that customer's bytes and the whole lake's: an erase must cost in proportion to the
 * customer, not the lake.
 */
export async function benchErase(
  customers: number,
  eventsPerCustomer: number,
  users: number,
  onStep?: (step: string) => void,
): Promise<EraseBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'erase-bench-'));
  try {
    const random = seededRandom(5);
    const lake = lakeDir(dataDir);
    onStep?.(`seeding ${customers} × ${eventsPerCustomer.toLocaleString('en-US')} events`);
    for (let c = 0; c < customers; c++) {
      const customerId = `bench-${c}`;
      for (let file = 0; file * EVENTS_PER_FILE < eventsPerCustomer; file++) {
        const lines: string[] = [];
        const count = Math.min(EVENTS_PER_FILE, eventsPerCustomer - file * EVENTS_PER_FILE);
        for (let i = 0; i < count; i++) {
          const user = Math.floor(random() * USERS_PER_CUSTOMER);
          const identify = random() < 0.1;
          const receivedAt = new Date(NOW + Math.floor(random() * 7 * 86_400_000)).toISOString();
          lines.push(
            JSON.stringify({
              schema_version: 1,
              area: 'events',
              message_id: `${customerId}-${file}-${i}`,
              customer_id: customerId,
              type: identify ? 'identify' : 'track',
              user_id: `user-${user}`,
              anonymous_id: identify ? `anon-${user}` : null,
              received_at: receivedAt,
              message: { userId: `user-${user}`, event: 'Page Viewed', properties: { path: `/p/${i % 50}` } },
            }),
          );
        }
        const key = join(lake, lakeObjectKey('events', customerId, '2026-11-28', `bench-${file}`));
        mkdirSync(dirname(key), { recursive: true });
        writeFileSync(key, gzipSync(`${lines.join('\n')}\n`));
      }
    }
    const size = (dir: string) => filesUnder(dir, () => true).reduce((sum, f) => sum + statSync(f).size, 0);
    const customerBytes = size(join(lake, 'events', 'customer_id=bench-0'));
    const lakeBytes = size(join(lake, 'events'));
    const log = new FileErasureLog(dataDir);
    await log.record(
      Array.from({ length: users }, (_, u) => ({
        customer_id: 'bench-0',
        message_id: `delete-${u}`,
        user_id: `user-${u}`,
        received_at: new Date(NOW + 30 * 86_400_000).toISOString(),
        cutoff_at: new Date(NOW + 30 * 86_400_000).toISOString(),
      })),
    );
    onStep?.(`erasing ${users} users of one customer`);
    let bytesRead = 0;
    const started = performance.now();
    const [done] = await runErasure({
      dataDir,
      log,
      now: () => NOW + 30 * 86_400_000,
      windowHours: 72,
      all: true,
      onRead: (bytes) => {
        bytesRead += bytes;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const removed = rowsRemoved(log.all()[0]!);
    if (!done) throw new Error('the erase pass did not run');
    return {
      customers,
      eventsPerCustomer,
      usersErased: users,
      rowsRemoved: removed,
      customerBytes,
      lakeBytes,
      bytesRead,
      ratioToCustomer: bytesRead / customerBytes,
      ratioToLake: bytesRead / lakeBytes,
      seconds,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
