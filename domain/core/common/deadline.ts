import type { Breaker } from './breaker';
import type { Clock } from './ports';

/** A dependency did not answer within its share of the request's deadline (it was aborted). */
export class DependencyTimeoutError extends Error {
  override readonly name = 'DependencyTimeoutError';
  constructor(readonly dependency: string) {
    super(`${dependency} did not answer within the request's deadline`);
  }
}

/** The dependency's breaker is open: it was not called. */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor(readonly dependency: string) {
    super(`${dependency} is not being called for a few seconds after timing out`);
  }
}

/** Either way, the dependency gave no answer and the request must not wait for one. */
export const isNoAnswer = (error: unknown): error is DependencyTimeoutError | BreakerOpenError =>
  error instanceof DependencyTimeoutError || error instanceof BreakerOpenError;

const EXPIRED = Symbol('expired');

/**
 * One deadline for a whole request, from the moment its handler starts: every dependency call is raced
 * against what is left of it (or a smaller share), and aborted when it loses. A call past its time
 * rejects with DependencyTimeoutError however the adapter behaves; the abort signal lets the adapter
 * also close its connection (the AWS SDK's `abortSignal`).
 */
export class Deadline {
  private constructor(
    private readonly clock: Clock,
    /** Epoch ms by which every call has ended. */
    readonly at: number,
  ) {}

  static after(clock: Clock, ms: number): Deadline {
    return new Deadline(clock, clock.now() + ms);
  }

  /** Milliseconds left, keeping `reserveMs` back for what comes after (never negative). */
  remaining(reserveMs = 0): number {
    return Math.max(0, this.at - reserveMs - this.clock.now());
  }

  /**
   * Runs one call of `dependency` for at most `capMs` and at most what is left minus `reserveMs` (but
   * never less than `floorMs`), through its breaker when there is one. The breaker hears how it went:
   * an answer (of any kind the adapter returns) closes it after a probe, a timeout counts toward
   * opening it, a fast failure does neither.
   *
   * @throws BreakerOpenError when the breaker is open (nothing is called)
   * @throws DependencyTimeoutError when no time is left or the call did not end in time
   */
  async call<T>(
    dependency: string,
    work: (signal: AbortSignal) => Promise<T>,
    options: {
      breaker?: Breaker | undefined;
      capMs?: number;
      reserveMs?: number;
      /** At least this long even when the deadline has (nearly) passed: for calls a request cannot skip. */
      floorMs?: number;
    } = {},
  ): Promise<T> {
    const ms = Math.max(
      options.floorMs ?? 0,
      Math.min(options.capMs ?? Number.POSITIVE_INFINITY, this.remaining(options.reserveMs)),
    );
    if (ms <= 0) throw new DependencyTimeoutError(dependency);
    const breaker = options.breaker;
    if (breaker && !breaker.admit()) throw new BreakerOpenError(dependency);
    const timer = this.clock.timer(ms);
    const expired = timer.fired.then(() => EXPIRED);
    const abortWork = new AbortController();
    let running: Promise<T>;
    try {
      running = work(abortWork.signal);
    } catch (error) {
      timer.cancel();
      breaker?.failed();
      throw error;
    }
    // The loser of the race may still settle later: its outcome is nobody's business then.
    running.catch(() => undefined);
    try {
      const result = await Promise.race([running, expired]);
      if (result === EXPIRED) {
        abortWork.abort(new DependencyTimeoutError(dependency));
        breaker?.timedOut();
        throw new DependencyTimeoutError(dependency);
      }
      breaker?.succeeded();
      return result as T;
    } catch (error) {
      if (!(error instanceof DependencyTimeoutError)) breaker?.failed();
      throw error;
    } finally {
      timer.cancel();
    }
  }
}
