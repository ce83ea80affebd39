import type { Clock } from '../common/ports';
import type { Limits } from './limits';

export interface FairShareLimit {
  /** Events per second one customer may send through one ingest instance. */
  eventsPerSecond: number;
  /** Events a customer may send at once after a quiet spell; at least one maximum-size request. */
  burstEvents: number;
}

/** The outcome of asking for room for a request's events. */
export type FairShareAnswer = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A limit of `eventsPerSecond` whose burst always fits one maximum-size request. */
export function fairShareLimit(
  eventsPerSecond: number,
  limits: Pick<Limits, 'maxMessagesPerRequest'>,
): FairShareLimit {
  return { eventsPerSecond, burstEvents: Math.max(eventsPerSecond, limits.maxMessagesPerRequest) };
}

// Customers an instance remembers; beyond that the least recently seen bucket is dropped (it refills
// to full anyway after burst / rate seconds of quiet, so forgetting it only forgives a little).
const MAX_CUSTOMERS = 10_000;

/**
 * A token bucket per customer, in the memory of one ingest instance: a customer above its share is
 * answered 429 with Retry-After (Segment retries), the others are unaffected. Unit: events per second;
 * burst: at least one maximum-size request. It costs no call to anything (no DynamoDB write per
 * request): CPU microseconds per request. Precision across Lambda instances: each instance enforces the
 * limit on the requests it serves, so a customer's total is at most (instances serving it) × the limit —
 * which bounds the share of every instance one customer can take, and so its share of the account's
 * concurrency, whatever the number of instances. docs/operations.md (Replay runbook) turns it into the
 * per-customer rate to give Segment.
 *
 * @example new FairShare({ eventsPerSecond: 1000, burstEvents: 5000 }, clock).take('acme', 100) // { ok: true }
 */
export class FairShare {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: FairShareLimit,
    private readonly clock: Clock,
  ) {
    if (!(limit.eventsPerSecond > 0) || !(limit.burstEvents >= limit.eventsPerSecond))
      throw new RangeError(
        'fair share: eventsPerSecond must be > 0 and burstEvents at least eventsPerSecond',
      );
  }

  /** Takes room for `events` of `customerId`'s request now, or says how long until there is room. */
  take(customerId: string, events: number): FairShareAnswer {
    const now = this.clock.now();
    const bucket = this.buckets.get(customerId) ?? { tokens: this.limit.burstEvents, at: now };
    this.buckets.delete(customerId); // re-inserted below: the Map's order is the recency order
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(
      this.limit.burstEvents,
      bucket.tokens + elapsedSeconds * this.limit.eventsPerSecond,
    );
    bucket.at = now;
    // A request larger than the burst could never pass: it is let through when the bucket is full.
    const needed = Math.min(events, this.limit.burstEvents);
    let answer: FairShareAnswer;
    if (bucket.tokens >= needed) {
      bucket.tokens -= needed;
      answer = { ok: true };
    } else {
      answer = {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((needed - bucket.tokens) / this.limit.eventsPerSecond)),
      };
    }
    this.buckets.set(customerId, bucket);
    if (this.buckets.size > MAX_CUSTOMERS) this.buckets.delete(this.buckets.keys().next().value!);
    return answer;
  }
}
