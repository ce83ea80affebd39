import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Writes a file so that readers see the old or the new content, never half of it, even after a crash;
 * a write that fails (ENOSPC) leaves no temporary file behind.
 */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  let written = false;
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    // writeSync may store fewer bytes than asked (a nearly full disk): continue until all are written.
    for (let done = 0; done < bytes.length; ) {
      const written = writeSync(fd, bytes, done, bytes.length - done);
      if (written <= 0)
        throw Object.assign(new Error(`ENOSPC: write stored no bytes, '${temp}'`), { code: 'ENOSPC' });
      done += written;
    }
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) removeQuietly(temp);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
}

/** Removes a temporary file whose write failed; the write's error is the one to report. */
function removeQuietly(temp: string): void {
  try {
    unlinkSync(temp);
  } catch {
    // already gone
  }
}
