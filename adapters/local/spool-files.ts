import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, statfs, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** An open file the spool appends to. Node's FileHandle is one. */
export interface SpoolFile {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file operations the local lake sink uses, as a port: the real file system in `npm start`, one that
 * injects short writes, ENOSPC and EIO in tests (test/support/faulty-files.ts).
 */
export interface SpoolFiles {
  /** Creates a new file (never opens an existing one), readable by its owner only. */
  create(path: string): Promise<SpoolFile>;
  readFile(path: string): Promise<Buffer>;
  /** Writes `content` to a temporary file in `tempDir`, syncs it, then renames it to `path`. */
  writeFileAtomic(path: string, content: Buffer, tempDir: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /**
   * Creates a file of `bytes` real bytes (zeros, synced), so they are set aside on the disk; false, with
   * nothing left behind, when they do not fit.
   */
  reserve(path: string, bytes: number): Promise<boolean>;
  /** The size of the file system holding `path` (bytes), when the platform says. */
  capacity(path: string): Promise<number | undefined>;
}

/**
 * Writes all of `buffer` at `position`, or throws. A write may store fewer bytes than asked without an
 * error (a nearly full disk does exactly that): it is continued until every byte is written, and a
 * write that makes no progress is an ENOSPC.
 */
export async function writeFully(file: SpoolFile, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await file.write(buffer, done, buffer.length - done, position + done);
    if (bytesWritten <= 0) throw ioError('ENOSPC', 'write stored no bytes', '');
    done += bytesWritten;
  }
}

/** @internal */
export function ioError(code: string, message: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${message}${path ? `, '${path}'` : ''}`);
  error.code = code;
  if (path) error.path = path;
  return error;
}

let temporaries = 0;

export const nodeSpoolFiles: SpoolFiles = {
  create: (path) => open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600),
  readFile: (path) => readFile(path),
  async writeFileAtomic(path, content, tempDir) {
    temporaries += 1;
    const temp = join(tempDir, `${basename(path)}.${process.pid}.${temporaries}.tmp`);
    const file = await open(temp, 'w', 0o600);
    try {
      await writeFully(file, content, 0);
      await file.datasync();
      await file.close();
      await rename(temp, path);
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true, mode: 0o700 });
  },
  readdir: (path) => readdir(path),
  async reserve(path, bytes) {
    const file = await open(path, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
    try {
      const zeros = Buffer.alloc(Math.min(bytes, 64 * 1024));
      for (let at = 0; at < bytes; at += zeros.length)
        await writeFully(file, zeros.subarray(0, Math.min(zeros.length, bytes - at)), at);
      await file.datasync();
      await file.close();
      return true;
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return false;
      throw error;
    }
  },
  async capacity(path) {
    try {
      const stats = await statfs(path);
      return stats.blocks * stats.bsize;
    } catch {
      return undefined;
    }
  },
};
