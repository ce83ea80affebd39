import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';

/** The same as `writeFileAtomic`, without blocking the event loop. */
export async function writeFileAtomicAsync(path: string, content: Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.write(content);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** Writes a file so that readers see the old or the new content, never half of it, even after a crash. */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

// A lock older than this was left by a process that died holding it.
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

/** Runs `work` while holding an exclusive lock file (created with O_EXCL), waiting up to 5 s for it. */
export function withLockFile<T>(lockPath: string, work: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isStale(lockPath)) {
        unlinkSync(lockPath);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockPath} is held by another process`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    return work();
  } finally {
    unlinkSync(lockPath);
  }
}

function isStale(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false;
  }
}
