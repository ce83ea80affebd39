import { InternalError, SinkUnavailableError } from '../common/errors';
import type { Clock, RecordSink } from '../common/ports';
import type { PackedRecord } from '../lake/pack-records';

export interface RetryPolicy {
  /** How long delivery may keep retrying before the request is answered 503 (ms). */
  budgetMs: number;
  /** First back-off step; doubles each attempt, capped at `maxDelayMs`, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The `Retry-After` sent with a 503 (s). */
  retryAfterSeconds: number;
  /**
   * How long to keep retrying once the store says it is throttling (ms). Short on purpose: while Kinesis
   * or Firehose throttles, every second spent retrying inside a request is a second of Lambda
   * concurrency — 8 s × 5,000 req/s would ask for 40,000 against an account's 1,000 — so a throttled
   * request is answered 503 with Retry-After and Segment resends it later.
   */
  throttleBudgetMs: number;
}

// API Gateway HTTP APIs time out integrations at 30 s; 8 s of retries leaves room for the rest of
// the request and a slow cold start, while riding out a Kinesis/Firehose throttling burst.
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  budgetMs: 8_000,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  retryAfterSeconds: 30,
  // About a second, as the Replay review asked: concurrency then stays near rate × normal duration.
  throttleBudgetMs: 1_000,
};

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
): Promise<DeliveryStats> {
  const start = clock.now();
  let deadline = start + policy.budgetMs;
  let throttled = false;
  let pending = records;
  let attempts = 0;
  let retriedRecords = 0;
  while (pending.length > 0) {
    if (attempts > 0) retriedRecords += pending.length;
    attempts += 1;
    const outcomes = await sink.put(pending);
    if (outcomes.length !== pending.length)
      throw new InternalError('sink answered a different number of outcomes');
    const failed: PackedRecord[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) return;
      if (!outcome.retryable) throw new InternalError(`sink refused a record: ${outcome.code}`);
      if (outcome.throttled) throttled = true;
      failed.push(pending[i]!);
    });
    if (throttled) deadline = Math.min(deadline, start + policy.throttleBudgetMs);
    pending = failed;
    if (pending.length === 0) break;
    const delay = clock.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
    if (clock.now() + delay >= deadline) throw new SinkUnavailableError(policy.retryAfterSeconds, throttled);
    await clock.sleep(delay);
  }
  return { attempts, retriedRecords };
}
