import { MemorySink } from '../../lambdas/adapters/memory/memory-sink';
import { InternalError, SinkUnavailableError } from '../../lambdas/core/common/errors';
import { deliver, type RetryPolicy } from '../../lambdas/core/ingest/deliver';
import { type LakeLine, packRecords } from '../../lambdas/core/lake/pack-records';
import { createFakeClock } from '../support/factories';

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
});
