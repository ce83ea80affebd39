import { AWS_QUOTAS } from '../../../../domain/contract/aws-quotas';
import { ATHENA_RULES } from '../../../../domain/contract/sql/athena-rules';
import {
  CUSTOMERS_PER_RUN,
  ERASE_CONCURRENCY,
  ERASE_STEPS_CONCURRENCY,
  hoursUntilGone,
  REWRITE_CONCURRENCY,
  runMinutes,
  runsToErase,
} from '../../../../domain/core/erasure/erase-capacity';

// The arithmetic docs/privacy.md ("Throughput on AWS") states, pinned.
describe('the erase pass on AWS keeps the 72 h window at 2,000 customers', () => {
  it('2,000 customers whose deletes arrive at once have every erased row out of the bucket within 72 h', () => {
    expect(runsToErase(2_000)).toBe(34);
    // 24 h until due + 33 runs + 0.5 h + 6 h 10 min wait + 0.5 h VACUUM + 0.25 h purge.
    expect(hoursUntilGone(2_000, 72)).toBeCloseTo(64.42, 1);
    expect(hoursUntilGone(2_000, 72)).toBeLessThanOrEqual(72);
    // With a run's worth of slack for a pass that failed once and was retried the next hour.
    expect(hoursUntilGone(2_000 + CUSTOMERS_PER_RUN, 72)).toBeLessThanOrEqual(72);
  });

  it('a run holds the lease for at most half an hour, leaving the rest of the hour to the compaction', () => {
    expect(runMinutes(10_000)).toBe(30);
    expect(runMinutes(1)).toBe(5);
  });

  it('its erase steps at once take at most 2 % of the account’s Lambda executions', () => {
    expect(ERASE_CONCURRENCY * REWRITE_CONCURRENCY).toBeLessThanOrEqual(ERASE_STEPS_CONCURRENCY);
    expect(ERASE_STEPS_CONCURRENCY).toBeLessThanOrEqual(AWS_QUOTAS.accountConcurrency * 0.02);
  });

  it('its passes at once stay within half of Athena’s DML concurrency', () => {
    // The compaction never runs beside it (the lease): the rest is the account's.
    expect(ERASE_CONCURRENCY).toBeLessThanOrEqual(ATHENA_RULES.dmlConcurrency.limit / 2);
  });
});
