import type { Clock, Logger, Metrics } from '../common/ports';
import type { FairShareCounter } from './fair-share-counter';

export type { FairShareCounter };

export interface FairShareSettings {
  /** Events per second one customer may send, through all instances together. */
  eventsPerSecond: number;
  /** Events each instance takes from the shared count at once: fewer writes, a coarser edge. */
  leaseEvents: number;
  /** Events per second a customer may send through one instance without any lookup. */
  allowancePerInstance: number;
}

/**
 * Defaults from the limit: a lease is 1/20 of it (a Replay at the limit costs ~20 writes a second, and
 * what instances leave unused at a window's end is at most their leases), and 10 events per second per
 * instance pass without a lookup — a live customer (~14 events a minute) never makes one.
 */
export function fairShareSettings(eventsPerSecond: number): FairShareSettings {
  return {
    eventsPerSecond,
    leaseEvents: Math.max(1, Math.floor(eventsPerSecond / 20)),
    allowancePerInstance: Math.min(eventsPerSecond, 10),
  };
}

/** The outcome of asking for room for a request's events. */
export type FairShareAnswer = { ok: true } | { ok: false; retryAfterSeconds: number };

// Customers an instance remembers within a window; beyond that the least recently seen is dropped
// (it only forgets an allowance or a lease's remainder, never admits past the shared count).
const MAX_CUSTOMERS = 10_000;

interface WindowState {
  window: number;
  /** Events admitted here this window without a lease. */
  free: number;
  /** Events leased from the shared count and not used yet. */
  leased: number;
  /** The shared count refused a lease this window: 429 until the next one, without asking again. */
  full: boolean;
}

/**
 * Each customer's share of the whole stage, across every ingest instance: a customer above
 * `eventsPerSecond` is answered 429 with Retry-After (Segment resends), the others are unaffected.
 * Precision: within one window a customer is admitted at most `eventsPerSecond` from the shared count
 * plus `allowancePerInstance` per instance it reaches; it may get less by what instances leased and did
 * not use. A counter that fails or times out admits the request (fail open), counted as
 * `FairShareUnavailable`: an unreachable table never turns into a 5xx or a hold.
 * docs/decisions/0002-fair-share.md compares the designs, with their cost per billion events.
 *
 * @example await new FairShare(fairShareSettings(2500), counter, clock).take('acme', 100) // { ok: true }
 */
export class FairShare {
  private readonly state = new Map<string, WindowState>();

  constructor(
    private readonly settings: FairShareSettings,
    private readonly counter: FairShareCounter,
    private readonly clock: Clock,
    private readonly onUnavailable: (error: unknown) => void = () => undefined,
  ) {
    if (
      !(settings.eventsPerSecond >= 1) ||
      !(settings.leaseEvents >= 1) ||
      settings.leaseEvents > settings.eventsPerSecond
    )
      throw new RangeError('fair share: eventsPerSecond ≥ 1 and 1 ≤ leaseEvents ≤ eventsPerSecond');
  }

  /** Takes room for `events` of `customerId`'s request now, or says when to come back. */
  async take(customerId: string, events: number, signal?: AbortSignal): Promise<FairShareAnswer> {
    const window = Math.floor(this.clock.now() / 1000);
    const s = this.windowOf(customerId, window);
    // A request larger than the limit could never pass: it needs the whole second to itself.
    const needed = Math.min(events, this.settings.eventsPerSecond);
    if (s.free + needed <= this.settings.allowancePerInstance) {
      s.free += needed;
      return { ok: true };
    }
    if (s.leased >= needed) {
      s.leased -= needed;
      return { ok: true };
    }
    if (s.full) return { ok: false, retryAfterSeconds: 1 };
    const limit = this.settings.eventsPerSecond;
    const short = needed - s.leased;
    try {
      // A whole lease when it fits; else just what this request lacks, in case that still fits.
      for (const amount of [Math.max(this.settings.leaseEvents, short), short]) {
        if (await this.counter.lease(customerId, window, amount, limit, signal)) {
          s.leased += amount - needed;
          return { ok: true };
        }
        if (amount === short) break;
      }
    } catch (error) {
      this.onUnavailable(error);
      return { ok: true };
    }
    s.full = true;
    return { ok: false, retryAfterSeconds: 1 };
  }

  private windowOf(customerId: string, window: number): WindowState {
    let s = this.state.get(customerId);
    this.state.delete(customerId); // re-inserted: the Map's order is the recency order
    if (!s || s.window !== window) s = { window, free: 0, leased: 0, full: false };
    this.state.set(customerId, s);
    if (this.state.size > MAX_CUSTOMERS) this.state.delete(this.state.keys().next().value!);
    return s;
  }
}

/** Logs and counts a counter that could not answer; the request it was asked for went through. */
export function reportUnavailable(logger: Logger, metrics: Metrics | undefined) {
  return (error: unknown) => {
    metrics?.count('FairShareUnavailable', 1);
    logger.warn('fair share counter unavailable: admitted', { error: (error as Error)?.name });
  };
}
