import type { Clock } from './ports';

/**
 * When one dependency stops answering, a breaker stops asking it. Numbers (docs/decisions/0007-deadline-and-breakers.md):
 * - `timeouts` 3 within `windowMs` 10 s opens it. One timeout is one request's bad luck (a cold
 *   connection, a pause, the slowest call of thousands); three in ten seconds on one instance — which
 *   handles one request at a time — is a dependency that stopped answering. Fewer would open on the
 *   healthy tail of a busy instance; more would hold more requests for the whole deadline first.
 * - `openMs` 5 s: while open, requests are answered 503 + Retry-After at once, holding nothing. Then one
 *   request (the probe) is let through; its success closes the breaker, its failure opens it for
 *   another 5 s. During an outage an instance so holds one probe (≤ the deadline) every 5 s: under a
 *   third of its time, against all of it without a breaker.
 * The state is per instance (a Lambda instance handles one request at a time, so there is nothing to
 * lock) and per dependency: a slow DynamoDB does not stop the Kinesis path.
 */
export interface BreakerSettings {
  timeouts: number;
  windowMs: number;
  openMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { timeouts: 3, windowMs: 10_000, openMs: 5_000 };

export type BreakerState = 'closed' | 'open' | 'probing';

export class Breaker {
  private recent: number[] = [];
  private openedAt: number | undefined;
  private probing = false;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly settings: BreakerSettings = DEFAULT_BREAKER,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.probing ? 'probing' : 'open';
  }

  /**
   * Whether a call may go out now. Closed: always. Open: no, until `openMs` has passed; then one call
   * (the probe) may, and no other until it has ended.
   */
  admit(): boolean {
    if (this.openedAt === undefined) return true;
    if (this.probing || this.clock.now() - this.openedAt < this.settings.openMs) return false;
    this.probing = true;
    return true;
  }

  /**
   * The call answered (throttling counts: the dependency is there, only full). A probe's answer closes
   * the breaker afresh; while closed, an answer forgets nothing — three timeouts within the window open
   * it even between answers (a dependency that times out every other call still holds every other
   * request for its whole share).
   */
  succeeded(): void {
    if (this.openedAt === undefined) return;
    this.openedAt = undefined;
    this.probing = false;
    this.recent = [];
  }

  /** The call did not answer within its share of the deadline. */
  timedOut(): void {
    const now = this.clock.now();
    if (this.openedAt !== undefined) {
      // The probe failed: another full open period.
      this.openedAt = now;
      this.probing = false;
      return;
    }
    this.recent = this.recent.filter((at) => now - at < this.settings.windowMs);
    this.recent.push(now);
    if (this.recent.length >= this.settings.timeouts) this.openedAt = now;
  }

  /**
   * The call failed fast (a reset connection, an error answer): it held nothing, so it does not count
   * toward opening — but a probe that fails this way has not shown the dependency is back.
   */
  failed(): void {
    if (this.probing) {
      this.openedAt = this.clock.now();
      this.probing = false;
    }
  }
}
