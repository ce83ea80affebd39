import { existsSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { acquirePidLock, LockHeldError, type PidLock } from '../adapters/local/pid-lock';
import { reservePath } from '../adapters/local/spooling-lake-sink';

/**
 * The lock file that says which process owns a data directory.
 *
 * @internal
 */
export function dataDirLockPath(dataDir: string): string {
  return join(dataDir, 'destination.lock');
}

/**
 * One process owns a data directory's spool and landing areas (`events/`, `quarantine/`, `ledger/`):
 * `npm start`, or a tool that writes them (`npm run redrive`). A second one would land the first one's
 * live spool segment from under it, so it is refused, with the owner's pid and URL. Tools that only read
 * sealed lake files and write a zone of their own take a lock of their own instead.
 */
export async function lockDataDir(dataDir: string, tool: string): Promise<PidLock> {
  const path = dataDirLockPath(dataDir);
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    try {
      return await acquirePidLock(path, tool);
    } catch (error) {
      // A full disk: the lock file needs a few hundred bytes, which the landing reserve a previous run
      // left can give (the sink frees it at start anyway, to land what is spooled).
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC' || !existsSync(reservePath(dataDir)))
        throw error;
      await unlink(reservePath(dataDir)).catch(() => undefined);
      return await acquirePidLock(path, tool);
    }
  } catch (error) {
    if (!(error instanceof LockHeldError)) {
      // Some file errors (a write on a full disk) do not name their file: say which one.
      const e = error as NodeJS.ErrnoException;
      throw new Error(`${e.message}${e.path ? '' : ` (taking ${path})`}`);
    }
    const { owner } = error;
    throw new Error(
      `DATA_DIR ${dataDir} is in use by ${owner.tool} (pid ${owner.pid}${owner.url ? `, listening on ${owner.url}` : ''}, since ${owner.startedAt}). ` +
        'One process owns a data directory: stop that one first, or set another DATA_DIR.',
    );
  }
}
