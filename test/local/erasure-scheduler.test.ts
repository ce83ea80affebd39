import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { erasureDir, FileErasureLog } from '../../adapters/local/file-erasure-log';
import type { Logger } from '../../domain/core/common/ports';
import { ErasureScheduler } from '../../local/erasure-scheduler';
import { createPinnedClock } from '../support/factories';

describe('ErasureScheduler (the local server’s erase passes)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function scheduler(flush: () => Promise<void>) {
    const dataDir = mkdtempSync(join(tmpdir(), 'erasure-scheduler-'));
    dirs.push(dataDir);
    const errors: string[] = [];
    const logger = {
      info: () => undefined,
      warn: () => undefined,
      error: (message: string) => errors.push(message),
    } as unknown as Logger;
    const erasures = new FileErasureLog(dataDir);
    const made = new ErasureScheduler({
      dataDir,
      erasures,
      flush,
      clock: createPinnedClock(),
      logger,
      windowHours: 24,
      checkMs: 3_600_000,
    });
    return { made, errors, dataDir };
  }

  it('lands nothing and rewrites nothing when no request is pending', async () => {
    const flush = jest.fn(async () => undefined);
    const { made } = scheduler(flush);
    await made.eraseDue();
    expect(flush).not.toHaveBeenCalled();
  });

  it('runs passes one at a time; a failed pass rejects its caller and the next still runs', async () => {
    const order: string[] = [];
    let calls = 0;
    const { made } = scheduler(async () => {
      calls += 1;
      order.push(`start ${calls}`);
      await new Promise((r) => setTimeout(r, 10));
      order.push(`end ${calls}`);
      if (calls === 1) throw new Error('disk full');
    });
    const first = made.eraseDue({ all: true });
    const second = made.eraseDue({ all: true });
    await expect(first).rejects.toThrow('disk full');
    await expect(second).resolves.toBeUndefined();
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('logs a background pass that failed, and stop() waits for the pass running', async () => {
    let finished = false;
    const { made } = scheduler(async () => {
      await new Promise((r) => setTimeout(r, 20));
      finished = true;
    });
    const running = made.eraseDue({ all: true });
    await made.stop();
    expect(finished).toBe(true);
    await running;

    // A pass a kill interrupted (its plan left under the erasure folder) is resumed by the background
    // check even with nothing pending; when it fails, the failure is logged and nothing is thrown.
    const failing = scheduler(async () => {
      throw new Error('no space');
    });
    mkdirSync(erasureDir(failing.dataDir), { recursive: true });
    writeFileSync(join(erasureDir(failing.dataDir), 'run-1.json'), '{}');
    failing.made.check();
    await failing.made.stop();
    expect(failing.errors).toEqual(['erase pass failed; retried at the next check']);
  });
});
