import { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { jsonLogger } from '../../adapters/system/json-logger';
import { type ErasureRunOptions, runErasure } from '../../local/erasure/run-erasure';
import { startLocalServer } from '../../local/local-server';
import { createPinnedClock, TEST_NOW } from './factories';

/**
 * The local destination on a data directory, at the pinned test time, landing objects only when the
 * test flushes: each flush is one object per customer, so a test knows which lines share an object.
 */
export function startPinnedDestination(dataDir: string) {
  return startLocalServer({
    dataDir,
    port: 0,
    logger: jsonLogger('e2e'),
    flushIntervalMs: 3_600_000,
    clock: createPinnedClock(),
  });
}

/** Every pending delete of the data directory executed now (at the pinned test time, 72 h window). */
export function eraseNow(dataDir: string, more: Partial<ErasureRunOptions> = {}) {
  return runErasure({
    dataDir,
    log: new FileErasureLog(dataDir),
    now: () => TEST_NOW.getTime(),
    windowHours: 72,
    all: true,
    ...more,
  });
}
