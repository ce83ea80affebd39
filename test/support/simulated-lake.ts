import { join } from 'node:path';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { jsonLogger } from '../../adapters/system/json-logger';
import { createToken } from '../../domain/core/keys/token-admin';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { simulateJourneys } from '../../scripts/simulate/journeys';
import { sendBatches } from '../../scripts/simulate/send';

/** The last day of the simulated history the intent tests use. */
export const SIMULATED_END = '2026-03-31';

/**
 * Simulated customers sent through the real HTTP path of a local destination (keys, batches of 100,
 * retries as Segment makes them), landed and compacted: the lake an analyst has after `npm run simulate`
 * and `npm run compact`. Each customer is `[id, planted signal, seed, users]` over 60 days.
 */
export async function simulatedLake(
  dataDir: string,
  customers: readonly (readonly [
    string,
    'pricing' | 'none' | 'interaction',
    number,
    number,
    ('both' | 'anonymous-until-sign-up' | 'devices')?,
  ])[],
): Promise<{ lake: string; destination: LocalDestination }> {
  const destination = await startLocalServer({
    dataDir,
    port: 0,
    logger: jsonLogger('simulated-lake'),
    flushIntervalMs: 200,
  });
  for (const [customer, signal, seed, users, identity] of customers) {
    const created = new Date(`${SIMULATED_END}T00:00:00Z`);
    const { token } = await createToken(new FileTokenStore(dataDir), customer, created);
    const messages = simulateJourneys({
      customer,
      users,
      days: 60,
      seed,
      signal,
      end: SIMULATED_END,
      ...(identity ? { identity } : {}),
    });
    const sent = await sendBatches(destination.url, token, messages);
    if (sent.accepted !== messages.length || sent.refused !== 0)
      throw new Error(
        `${customer}: ${sent.accepted} of ${messages.length} accepted, ${sent.refused} refused`,
      );
  }
  await destination.flush();
  const lake = join(dataDir, 'lake');
  await runCompaction({ lakeRoot: lake });
  return { lake, destination };
}
