import { ioError, nodeSpoolFiles, type SpoolFile, type SpoolFiles } from '../../adapters/local/spool-files';

/** What the faulty file system does now; change it at any time (e.g. `{}` when space returns). */
export interface FileFaults {
  /**
   * Bytes that still fit on the "disk". A write larger than what is left stores what fits and reports
   * it without an error (what a nearly full disk does); a write with nothing left fails with ENOSPC.
   */
  spaceLeft?: number;
  /** `datasync` fails with EIO. */
  syncFails?: boolean;
  /** `truncate` fails with EIO (the segment cannot be cut back). */
  truncateFails?: boolean;
  /** Writing a lake file fails with ENOSPC (landing on a full disk). */
  landingFails?: boolean;
}

/**
 * The real file system with injected faults: short writes, ENOSPC, EIO. Bytes a short write reports
 * are really written, as on a real disk, so the spool's own recovery is what is under test.
 */
export function faultyFiles(faults: FileFaults = {}): SpoolFiles & { faults: FileFaults } {
  const state = { faults };
  const spend = (wanted: number): number => {
    const left = state.faults.spaceLeft;
    if (left === undefined) return wanted;
    const granted = Math.min(left, wanted);
    state.faults.spaceLeft = left - granted;
    return granted;
  };
  const wrap = (file: SpoolFile, path: string): SpoolFile => ({
    async write(buffer, offset, length, position) {
      const granted = spend(length);
      if (granted === 0) throw ioError('ENOSPC', 'no space left on device, write', path);
      return file.write(buffer, offset, granted, position);
    },
    async datasync() {
      if (state.faults.syncFails) throw ioError('EIO', 'i/o error, fdatasync', path);
      return file.datasync();
    },
    async truncate(length) {
      if (state.faults.truncateFails) throw ioError('EIO', 'i/o error, ftruncate', path);
      return file.truncate(length);
    },
    close: () => file.close(),
  });
  return {
    get faults() {
      return state.faults;
    },
    set faults(next: FileFaults) {
      state.faults = next;
    },
    create: async (path) => wrap(await nodeSpoolFiles.create(path), path),
    readFile: (path) => nodeSpoolFiles.readFile(path),
    async writeFileAtomic(path, content, tempDir) {
      if (state.faults.landingFails) throw ioError('ENOSPC', 'no space left on device, write', path);
      return nodeSpoolFiles.writeFileAtomic(path, content, tempDir);
    },
    rename: (from, to) => nodeSpoolFiles.rename(from, to),
    unlink: (path) => nodeSpoolFiles.unlink(path),
    mkdir: (path) => nodeSpoolFiles.mkdir(path),
    readdir: (path) => nodeSpoolFiles.readdir(path),
    async reserve(path, bytes) {
      const left = state.faults.spaceLeft;
      if (left !== undefined && left < bytes) return false;
      if (left !== undefined) state.faults.spaceLeft = left - bytes;
      return nodeSpoolFiles.reserve(path, bytes);
    },
    capacity: (path) => nodeSpoolFiles.capacity(path),
  };
}
