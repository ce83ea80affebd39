import { InternalError, SinkUnavailableError } from '../../../../domain/core/common/errors';
import { DEFAULT_RETRY_POLICY, deliver, type RetryPolicy } from '../../../../domain/core/ingest/deliver';
import { type LakeLine, packRecords } from '../../../../domain/core/lake/pack-records';
import { createFakeClock } from '../../../support/factories';
import { MemorySink } from '../../../support/memory/memory-sink';

const policy: RetryPolicy = {
  budgetMs: 1_000,
  baseDelayMs: 50,
  maxDelayMs: 400,
  retryAfterSeconds: 30,
  throttleBudgetMs: 1_000,
};
const records = packRecords(
  ['a', 'b', 'c'].map(
    (customerId): LakeLine => ({
      area: 'events',
      customerId,
      dt: '2026-01-01',
      spreadKey: customerId,
      json: '{}',
    }),
  ),
  1024,
);

describe('deliver', () => {
  it('puts each record once when the sink takes them all', async () => {
    const sink = new MemorySink();

    const stats = await deliver(records, sink, policy, createFakeClock());

    expect(stats).toEqual({ attempts: 1, retriedRecords: 0 });
    expect(sink.acknowledged).toHaveLength(3);
  });

  it('retries only the records that failed, with jittered back-off', async () => {
    const sink = new MemorySink(1024, (record, attempt) =>
      record.customerId === 'b' && attempt < 3
        ? { ok: false, retryable: true, code: 'ProvisionedThroughputExceededException' }
        : undefined,
    );
    const clock = createFakeClock();

    const stats = await deliver(records, sink, policy, clock);

    expect(sink.sent.map((r) => r.customerId)).toEqual(['a', 'b', 'c', 'b', 'b']);
    expect(sink.acknowledged.map((r) => r.customerId).sort()).toEqual(['a', 'b', 'c']);
    expect(stats).toEqual({ attempts: 3, retriedRecords: 2 });
    expect(clock.sleeps).toEqual([25, 50]);
  });

  it('gives up with a 503 and Retry-After when the budget runs out', async () => {
    const sink = new MemorySink(1024, () => ({ ok: false, retryable: true, code: 'ServiceUnavailable' }));
    const clock = createFakeClock();

    const attempt = deliver(records, sink, policy, clock);

    await expect(attempt).rejects.toThrow(SinkUnavailableError);
    await expect(attempt).rejects.toMatchObject({ status: 503, retryAfterSeconds: 30 });
    expect(sink.acknowledged).toHaveLength(0);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(policy.budgetMs);
  });

  it('answers 500 (retried by Segment) when the sink refuses a record for good', async () => {
    const sink = new MemorySink(1024, (r) =>
      r.customerId === 'c' ? { ok: false, retryable: false, code: 'AccessDenied' } : undefined,
    );

    await expect(deliver(records, sink, policy, createFakeClock())).rejects.toThrow(InternalError);
  });

  it('answers a put whose every record is throttled at once: one attempt, no sleep', async () => {
    const sink = new MemorySink(1024, () => ({
      ok: false,
      retryable: true,
      throttled: true,
      code: 'ProvisionedThroughputExceededException',
    }));
    const clock = createFakeClock();

    const attempt = deliver(records, sink, DEFAULT_RETRY_POLICY, clock);

    await expect(attempt).rejects.toMatchObject({ status: 503, retryAfterSeconds: 30 });
    expect(sink.sent).toHaveLength(3);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries a partial throttle for at most throttleBudgetMs (100 ms by default)', async () => {
    // 'b' is always throttled, 'c' only at first: the rest of the store has room.
    const partial = new MemorySink(1024, (record, attempt) =>
      record.customerId === 'b' || (attempt === 1 && record.customerId === 'c')
        ? { ok: false, retryable: true, throttled: true, code: 'ProvisionedThroughputExceededException' }
        : undefined,
    );
    const clock = createFakeClock();

    const attempt = deliver(records, partial, DEFAULT_RETRY_POLICY, clock);

    // The first put throttled two of three records (partial), the second put throttled all that was
    // left ('b'): answered then, well within the 100 ms.
    await expect(attempt).rejects.toMatchObject({ status: 503 });
    expect(partial.acknowledged.map((r) => r.customerId).sort()).toEqual(['a', 'c']);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(
      DEFAULT_RETRY_POLICY.throttleBudgetMs,
    );
  });
});
