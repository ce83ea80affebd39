import type { Breaker } from '../common/breaker';
import { type Deadline, isNoAnswer } from '../common/deadline';
import { InternalError, SinkUnavailableError } from '../common/errors';
import type { Clock, PackedRecord, PutOutcome, RecordSink } from '../common/ports';

export interface RetryPolicy {
  /** How long delivery may keep retrying before the request is answered 503 (ms). */
  budgetMs: number;
  /** First back-off step; doubles each attempt, capped at `maxDelayMs`, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The `Retry-After` sent with a 503 (s). */
  retryAfterSeconds: number;
  /**
   * How long a *partial* throttle may be retried (ms): when only some records of a put were throttled,
   * the rest of the store has room and a short retry usually lands them. A put whose every record was
   * throttled is answered at once (503 + Retry-After, Segment resends): while Kinesis or Firehose
   * throttles, every millisecond held inside a request is Lambda concurrency — the hold × the offered
   * rate — so 1 s × 5,000 requests/s would ask for 5,000 against an account's 1,000.
   */
  throttleBudgetMs: number;
  /**
   * Keep retrying when every record was throttled, for `throttleBudgetMs`, instead of answering at once:
   * for callers that are not a request Segment will resend (redrive), where waiting is the point.
   */
  holdOnFullThrottle?: boolean;
}

// API Gateway HTTP APIs time out integrations at 30 s; 8 s of retries for transient faults (a reset
// connection, an InternalFailure) leaves room for the rest of the request and a slow cold start.
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  budgetMs: 8_000,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  retryAfterSeconds: 30,
  // 100 ms for a partial throttle: at 5,000 requests/s all partially throttled, 500 more concurrent at
  // most; a full throttle holds nothing (scripts/replay/replay-forecast.ts models both).
  throttleBudgetMs: 100,
};

/** A request's deadline, when delivery is part of one (the ingest function's). */
export interface DeliveryDeadline {
  deadline: Deadline;
  /** Milliseconds kept back for what the request still has to store after this (its ledger line). */
  reserveMs?: number;
  /** The least time a put gets, however late (DeadlinePolicy.storeFloorMs). */
  floorMs?: number;
  /** The sink's breaker (per instance): no put goes out while it is open. */
  breaker?: Breaker | undefined;
  /** The dependency's name in errors and metrics. */
  dependency: string;
}

export interface DeliveryStats {
  attempts: number;
  /** Record sends beyond the first, i.e. the records that had to be retried. */
  retriedRecords: number;
}

/**
 * Puts every record into the sink, retrying only the records that failed, with exponential back-off
 * and full jitter, until all are acknowledged or the budget is spent. Resolves only when every record
 * was acknowledged: the caller may then answer 2xx.
 *
 * @throws SinkUnavailableError when the budget runs out (→ 503 + Retry-After; Segment retries).
 * @throws InternalError when the sink refuses a record for a reason no retry fixes (→ 500).
 */
export async function deliver(
  records: readonly PackedRecord[],
  sink: RecordSink,
  policy: RetryPolicy,
  clock: Clock,
  within?: DeliveryDeadline,
): Promise<DeliveryStats> {
  const start = clock.now();
  let deadline = Math.min(
    start + policy.budgetMs,
    within ? within.deadline.at - (within.reserveMs ?? 0) : Number.POSITIVE_INFINITY,
  );
  let throttled = false;
  let pending = records;
  let attempts = 0;
  let retriedRecords = 0;
  while (pending.length > 0) {
    if (attempts > 0) retriedRecords += pending.length;
    attempts += 1;
    const outcomes = within ? await putWithin(pending, sink, policy, within) : await sink.put(pending);
    if (outcomes.length !== pending.length)
      throw new InternalError('sink answered a different number of outcomes');
    if (allOk(outcomes)) break;
    const failed: PackedRecord[] = [];
    let throttledNow = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) return;
      if (!outcome.retryable) throw new InternalError(`sink refused a record: ${outcome.code}`);
      if (outcome.throttled) throttledNow += 1;
      failed.push(pending[i]!);
    });
    if (throttledNow > 0) throttled = true;
    pending = failed;
    if (pending.length === 0) break;
    // The store took none of what was offered: it is full, and waiting inside the request only adds
    // concurrency. Answer now; Segment resends after Retry-After.
    if (throttledNow === outcomes.length && !policy.holdOnFullThrottle)
      throw new SinkUnavailableError(policy.retryAfterSeconds, true);
    if (throttled) deadline = Math.min(deadline, start + policy.throttleBudgetMs);
    const delay = clock.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
    if (clock.now() + delay >= deadline) throw new SinkUnavailableError(policy.retryAfterSeconds, throttled);
    await clock.sleep(delay);
  }
  return { attempts, retriedRecords };
}

/**
 * One put inside the request's deadline: a put that does not answer in time (or whose breaker is open)
 * ends delivery with a 503 at once. Its records may still be stored after the request gave up; that is
 * harmless: the request is answered 503 without its ledger line, Segment resends it with the same
 * messageIds, and the curated table keeps one row per messageId (docs/error-handling.md).
 */
async function putWithin(
  records: readonly PackedRecord[],
  sink: RecordSink,
  policy: RetryPolicy,
  within: DeliveryDeadline,
): Promise<PutOutcome[]> {
  try {
    return await within.deadline.call(within.dependency, (signal) => sink.put(records, signal), {
      breaker: within.breaker,
      ...(within.reserveMs === undefined ? {} : { reserveMs: within.reserveMs }),
      ...(within.floorMs === undefined ? {} : { floorMs: within.floorMs }),
    });
  } catch (error) {
    if (isNoAnswer(error)) throw new SinkUnavailableError(policy.retryAfterSeconds, false, error);
    throw error;
  }
}

/** Whether the sink acknowledged every record of a put (the usual case: nothing to sort out). */
function allOk(outcomes: readonly PutOutcome[]): boolean {
  for (let i = 0; i < outcomes.length; i++) if (!outcomes[i]!.ok) return false;
  return true;
}
