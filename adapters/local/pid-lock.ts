import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { link, readFile, rename, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/** Who holds a lock: written into the lock file, shown to whoever is refused. */
export interface LockOwner {
  pid: number;
  /** The command that holds it, e.g. `npm start`. */
  tool: string;
  startedAt: string;
  host: string;
  /**
   * When the owner process started (clock ticks since boot, /proc/<pid>/stat): with the pid, its identity.
   * A pid whose process started at another time is a reused pid, not the owner.
   */
  processStart?: string;
  /** Where the holder can be reached, when it serves (the local server's URL). */
  url?: string;
  /**
   * One acquisition's own id: several callers of one process (keys created at once, tests racing) share
   * the pid, so the pid alone cannot tell a lock this process is taking from one a previous process
   * with the same pid left.
   */
  nonce?: string;
}

/**
 * A holder's heartbeat: it touches its lock file this often. A lock written on another host (a container
 * restarted under a new hostname, a data directory on shared storage) cannot be judged by its pid, so
 * it is stale once its file has not been touched for LOCK_STALE_AFTER_MS — six missed beats — and is
 * then taken over (docs/local-dev.md, "One process per data directory").
 *
 * @internal
 */
export const LOCK_HEARTBEAT_MS = 10_000;
/** @internal */
export const LOCK_STALE_AFTER_MS = 60_000;

/** The nonces of this process's acquisitions in flight or held: their files are never stale to it. */
const LIVE = new Set<string>();

export class LockHeldError extends Error {
  constructor(
    readonly path: string,
    readonly owner: LockOwner,
  ) {
    super(
      `${path} is held by ${owner.tool} (pid ${owner.pid}${owner.host && owner.host !== hostname() ? ` on host ${owner.host}, taken over once its heartbeat is ${LOCK_STALE_AFTER_MS / 1000} s old` : ''}${owner.url ? `, ${owner.url}` : ''}, since ${owner.startedAt})`,
    );
    this.name = 'LockHeldError';
  }
}

export interface PidLock {
  readonly path: string;
  /** Rewrites the owner's details (e.g. the URL once the server listens). */
  update(fields: Partial<Pick<LockOwner, 'url'>>): Promise<void>;
  release(): Promise<void>;
}

const HELD = new Set<string>();

/**
 * An exclusive lock file holding its owner's pid (an O_EXCL-style pidfile: written whole, then linked
 * into place, which fails if the file exists). A lock whose owner process is gone is stale and taken
 * over at once, however fresh it is: a restart right after `kill -9` must not wait. Chosen over a
 * library such as proper-lockfile, which decides staleness by the lock's age.
 *
 * `waitMs` > 0 waits (polling every 10 ms, without blocking the event loop) for a live owner to let go;
 * then, or at once with 0, it throws LockHeldError naming the owner.
 *
 * Ownership is identity, not a pid alone: a zombie (state Z: killed, not yet reaped — for about a second
 * after `kill -9`) is no owner, and neither is a pid now used by another process (its start time differs
 * from the one in the lock). Taking over a stale lock is exclusive: the remover must first create
 * `<path>.takeover` (the same link-into-place), so of any number of racers exactly one removes the stale
 * file and the link decides who holds the new lock.
 */
export async function acquirePidLock(
  path: string,
  tool: string,
  { waitMs = 0 }: { waitMs?: number } = {},
): Promise<PidLock> {
  const start = processStartOf(process.pid);
  const owner: LockOwner = {
    pid: process.pid,
    tool,
    startedAt: new Date().toISOString(),
    host: hostname(),
    ...(start?.start ? { processStart: start.start } : {}),
    nonce: randomUUID(),
  };
  // Live before the first attempt: from the moment the file may exist, no racer of this process can
  // judge it stale (HELD is set only after the link resolves, a window another racer could read in).
  LIVE.add(owner.nonce!);
  try {
    await take(path, owner, waitMs);
  } catch (error) {
    LIVE.delete(owner.nonce!);
    throw error;
  }
  HELD.add(path);
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  return {
    path,
    async update(fields) {
      Object.assign(owner, fields);
      const temp = `${path}.${process.pid}.${randomUUID()}.update`;
      await writeTemp(temp, JSON.stringify(owner));
      await rename(temp, path).catch(async (error) => {
        await unlink(temp).catch(() => undefined);
        throw error;
      });
    },
    async release() {
      clearInterval(heartbeat);
      // Unlinked before forgotten: until the file is gone, a waiter in this process must not judge it
      // stale (ours, but no longer held) and remove a lock that a third caller may just have taken.
      await unlink(path).catch(() => undefined);
      HELD.delete(path);
      LIVE.delete(owner.nonce!);
    },
  };
}

async function take(path: string, owner: LockOwner, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await tryCreate(path, owner)) return;
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released between our attempt and the read
    const held = parseOwner(text);
    if (!held || isStale(path, held)) {
      await removeStale(path, text, owner);
      continue;
    }
    if (Date.now() >= deadline) throw new LockHeldError(path, held);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Removes the stale lock file `path` if it still holds `text`, as the one holder of `<path>.takeover`;
 * a racer that finds the takeover held goes round again (by then the lock is gone or newly held). A
 * takeover file left by a process that died inside it is itself judged by its owner's identity.
 */
async function removeStale(path: string, text: string, owner: LockOwner): Promise<void> {
  const guard = `${path}.takeover`;
  if (!(await tryCreate(guard, owner))) {
    const guardText = await readFile(guard, 'utf8').catch(() => undefined);
    const guardOwner = guardText === undefined ? undefined : parseOwner(guardText);
    if (guardText !== undefined && (!guardOwner || isStale(guard, guardOwner))) {
      if ((await readFile(guard, 'utf8').catch(() => undefined)) === guardText)
        await unlink(guard).catch(() => undefined);
    } else await new Promise((resolve) => setTimeout(resolve, 1));
    return;
  }
  try {
    if ((await readFile(path, 'utf8').catch(() => undefined)) === text)
      await unlink(path).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  // Unique per attempt, not per process: two callers in one process (keys created at once) must not
  // share, and so remove, each other's temporary file.
  const temp = `${path}.${process.pid}.${randomUUID()}.new`;
  await writeTemp(temp, JSON.stringify(owner));
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Writes a temporary file whole, or leaves none: a write that fails part-way (ENOSPC on a full disk)
 * would otherwise leave a zero-byte `*.new` behind at every attempt.
 */
async function writeTemp(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { mode: 0o600 });
  } catch (error) {
    await unlink(path).catch(() => undefined);
    throw error;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0
      ? {
          pid: value.pid,
          tool: typeof value.tool === 'string' ? value.tool : 'unknown',
          startedAt: typeof value.startedAt === 'string' ? value.startedAt : 'unknown',
          host: typeof value.host === 'string' ? value.host : '',
          ...(typeof value.processStart === 'string' ? { processStart: value.processStart } : {}),
          ...(typeof value.url === 'string' ? { url: value.url } : {}),
          ...(typeof value.nonce === 'string' ? { nonce: value.nonce } : {}),
        }
      : undefined;
  } catch {
    return undefined; // a damaged lock file guards nothing
  }
}

/**
 * A process's state and start time from /proc/<pid>/stat (fields 3 and 22; the command name, field 2,
 * may hold spaces and parentheses, so fields are counted after its last `)`). `null`: no such process;
 * undefined: no /proc here (another OS), so only `kill(pid, 0)` can tell.
 */
function processStartOf(pid: number): { state: string; start: string } | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? (procAvailable() ? null : undefined) : undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: fields[19] ?? '' };
}

let hasProc: boolean | undefined;
const procAvailable = () => {
  hasProc ??= (() => {
    try {
      readFileSync('/proc/self/stat');
      return true;
    } catch {
      return false;
    }
  })();
  return hasProc;
};

/**
 * Stale when its owner is gone: no such process, a zombie, or a pid now used by another process. Only
 * this machine's pids can be checked: another host's lock is stale once its heartbeat stopped.
 */
function isStale(path: string, owner: LockOwner): boolean {
  if (owner.host && owner.host !== hostname()) return heartbeatAgeMs(path) > LOCK_STALE_AFTER_MS;
  // Our pid: one of this process's acquisitions (in flight or held), or a file a previous process with
  // the same pid left (a pid reused after a restart).
  if (owner.pid === process.pid) return owner.nonce === undefined ? !HELD.has(path) : !LIVE.has(owner.nonce);
  const found = processStartOf(owner.pid);
  if (found === null) return true;
  if (found)
    return found.state === 'Z' || (owner.processStart !== undefined && found.start !== owner.processStart);
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** How long ago the lock file was last touched (written, or by its holder's heartbeat); 0 when it is gone. */
function heartbeatAgeMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
