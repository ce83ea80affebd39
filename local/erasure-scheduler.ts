import { existsSync, readdirSync } from 'node:fs';
import type { FileErasureLog } from '../adapters/local/file-erasure-log';
import { erasureDir } from '../adapters/local/file-erasure-log';
import type { Clock, Logger } from '../domain/core/common/ports';
import { runErasure } from './erasure/run-erasure';

export interface ErasureSchedulerOptions {
  dataDir: string;
  erasures: FileErasureLog;
  /** Lands what the server acknowledged before a pass rewrites the lake. */
  flush: () => Promise<void>;
  clock: Clock;
  logger: Logger;
  /** Hours within which a delete request is executed. */
  windowHours: number;
  /** How often the server looks for due requests (1 h by default; tests ask sooner). */
  checkMs: number;
}

/**
 * The local server's executor of Segment delete requests. The server owns the DATA_DIR, so it runs the
 * erase passes itself, one at a time (each waits for the one before), every `checkMs` and when asked
 * (`eraseDue`, the admin route's "now"). Before a pass the spool is landed, so every byte acknowledged
 * before it is in the lake the pass rewrites.
 */
export class ErasureScheduler {
  private erasing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ErasureSchedulerOptions) {}

  /** A pass, after the one running: with `all`, every pending request, due or not. Rejects if it fails. */
  eraseDue(opts: { all?: boolean } = {}): Promise<void> {
    const { options } = this;
    const run = this.erasing.then(async () => {
      // Nothing due and no pass a kill interrupted: an interrupted pass's plan holds ids in clear until
      // the next pass finishes it, even once every request is done.
      const interrupted = existsSync(erasureDir(options.dataDir))
        ? readdirSync(erasureDir(options.dataDir)).some((f) => f.startsWith('run-'))
        : false;
      if (!opts.all && !interrupted && !options.erasures.all().some((e) => e.status === 'pending')) return;
      await options.flush();
      const done = await runErasure({
        dataDir: options.dataDir,
        log: options.erasures,
        now: () => options.clock.now(),
        windowHours: options.windowHours,
        ...opts,
      });
      for (const c of done)
        options.logger.info('erased', {
          customerId: c.customerId,
          requests: c.requests,
          objectsRewritten: c.objectsRewritten,
          rowsRemoved: c.rowsRemoved,
        });
    });
    this.erasing = run.catch(() => undefined);
    return run;
  }

  /** A pass in the background: a failure is logged and the next check tries again. */
  check(): void {
    this.eraseDue().catch((error: Error) =>
      this.options.logger.error('erase pass failed; retried at the next check', { detail: error.message }),
    );
  }

  /** Checks now and every `checkMs`, without keeping the process alive. */
  start(): void {
    this.timer = setInterval(() => this.check(), this.options.checkMs);
    this.timer.unref();
    this.check();
  }

  /** No more checks; resolves once the pass running (if any) has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.erasing;
  }
}
