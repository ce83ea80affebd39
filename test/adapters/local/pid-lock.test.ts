import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquirePidLock,
  LOCK_HEARTBEAT_MS,
  LOCK_STALE_AFTER_MS,
  LockHeldError,
} from '../../../adapters/local/pid-lock';
import { itWhen } from '../../support/left-out';
import { ROOT } from '../../support/local-destination';

const linux = existsSync('/proc/self/stat');
const dir = mkdtempSync(join(tmpdir(), 'pid-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A lock file as another holder wrote it. */
const writeLock = (path: string, pid: number, extra: Record<string, unknown> = {}) =>
  writeFileSync(
    path,
    JSON.stringify({
      pid,
      tool: 'npm start',
      startedAt: '2026-11-28T12:00:00.000Z',
      host: hostname(),
      ...extra,
    }),
  );

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout as unknown as number;
}

describe('the pid lock: an owner is a live process, by identity', () => {
  itWhen(linux, 'lock takeover from zombies and reused pids: needs Linux /proc')(
    'takes over at once from a zombie (killed, not yet reaped)',
    async () => {
      // `sleep 0` exits while its parent (exec'd into `sleep 3`) never reaps it: a zombie for 3 s.
      // Real time for `sleep`: under CI's faketime run, libfaketime (LD_PRELOAD) can end `sleep 3` early,
      // and the zombie is reaped before it is looked at.
      const { LD_PRELOAD: _preload, FAKETIME: _faketime, ...realTime } = process.env;
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 3'], { env: realTime });
      const zombie = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d)))),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const path = join(dir, 'zombie.lock');
      writeLock(path, zombie);

      expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /);
      const lock = await acquirePidLock(path, 'test');
      await lock.release();
      parent.kill();
    },
  );

  itWhen(linux, 'lock takeover from zombies and reused pids: needs Linux /proc')(
    'takes over from a pid now used by another process, and refuses the real owner',
    async () => {
      const other = spawn('sleep', ['3']);
      const start = readFileSync(`/proc/${other.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!;
      const reused = join(dir, 'reused.lock');
      const owned = join(dir, 'owned.lock');
      writeLock(reused, other.pid!, { processStart: '1' });
      writeLock(owned, other.pid!, { processStart: start });

      const lock = await acquirePidLock(reused, 'test');
      await expect(acquirePidLock(owned, 'test')).rejects.toThrow(LockHeldError);
      await lock.release();
      other.kill();
    },
  );

  it('lets exactly one of 8 racers take a stale lock, in 100 trials', async () => {
    const path = join(dir, 'raced.lock');
    const dead = Number(deadPid());
    for (let trial = 0; trial < 100; trial++) {
      writeLock(path, dead);
      const racers = await Promise.allSettled(
        Array.from({ length: 8 }, () => acquirePidLock(path, `racer-${trial}`)),
      );
      const won = racers.filter((r) => r.status === 'fulfilled');
      expect([trial, won.length]).toEqual([trial, 1]);
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquirePidLock>>>).value.release();
    }
    expect(existsSync(`${path}.takeover`)).toBe(false);
  });

  it('lets exactly one of 8 processes take a stale lock', async () => {
    const path = join(dir, 'processes.lock');
    const racer = `
      const { acquirePidLock } = require(${JSON.stringify(join(ROOT, 'adapters/local/pid-lock.ts'))});
      acquirePidLock(${JSON.stringify(path)}, 'racer').then(
        async (lock) => { process.stdout.write('won'); await new Promise((r) => setTimeout(r, 4000)); await lock.release(); },
        () => process.stdout.write('lost'),
      );`;
    // A CommonJS file: `-e` code may be taken for an ES module, where require does not exist.
    const racerFile = join(dir, 'racer.cjs');
    writeFileSync(racerFile, racer);
    for (let trial = 0; trial < 2; trial++) {
      writeLock(path, Number(deadPid()));
      const outcomes = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<string>((resolve) => {
              const child = spawn(process.execPath, ['--require', 'tsx/cjs', racerFile], {
                cwd: ROOT,
              });
              let out = '';
              let err = '';
              child.stdout.on('data', (d) => {
                out += d;
              });
              child.stderr.on('data', (d) => {
                err += d;
              });
              // 'close', not 'exit': 'exit' may come before the last of a child's output has been read,
              // and a racer that did print would read as one that printed nothing. One that really
              // neither won nor lost says why (its stderr).
              child.on('close', (code) => resolve(out || `exit ${code}: ${err.slice(0, 300)}`));
            }),
        ),
      );
      expect(outcomes.sort()).toEqual(['won', ...Array(7).fill('lost')].sort());
    }
  }, 60_000);
});

describe('the pid lock on a full disk', () => {
  it('leaves no temporary file behind when writing it fails (ENOSPC)', async () => {
    const fsPromises: typeof import('node:fs/promises') = require('node:fs/promises');
    const real = fsPromises.writeFile;
    // The file is created, then the disk is full: what a real ENOSPC leaves, a zero-byte file.
    const spy = jest.spyOn(fsPromises, 'writeFile').mockImplementation(async (file, ...rest) => {
      await real(file as string, '');
      void rest;
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    const path = join(dir, 'full.lock');
    try {
      await expect(acquirePidLock(path, 'test')).rejects.toThrow('ENOSPC');
    } finally {
      spy.mockRestore();
    }

    expect(readdirSync(dir).filter((name) => name.startsWith('full.lock'))).toEqual([]);
  });
});

describe('a lock from another host', () => {
  it('stands while its heartbeat is fresh, and is taken over once it is older than the stated staleness', async () => {
    const path = join(dir, 'other-host.lock');
    writeLock(path, 4242, { host: 'a-container-before-its-restart' });
    const now = Date.now() / 1000;
    utimesSync(path, now, now);

    await expect(acquirePidLock(path, 'npm start')).rejects.toThrow(
      `on host a-container-before-its-restart, taken over once its heartbeat is ${LOCK_STALE_AFTER_MS / 1000} s old`,
    );

    const old = now - (LOCK_STALE_AFTER_MS + 5_000) / 1000;
    utimesSync(path, old, old);
    const lock = await acquirePidLock(path, 'npm start');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    await lock.release();
  });

  it('the holder beats: it touches its lock file every LOCK_HEARTBEAT_MS', async () => {
    jest.useFakeTimers({ doNotFake: ['Date', 'nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const path = join(dir, 'beating.lock');
      const lock = await acquirePidLock(path, 'npm start');
      const old = Date.now() / 1000 - 3_600;
      utimesSync(path, old, old);
      jest.advanceTimersByTime(LOCK_HEARTBEAT_MS);
      jest.useRealTimers();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(LOCK_STALE_AFTER_MS);
      await lock.release();
    } finally {
      jest.useRealTimers();
    }
  });
});
