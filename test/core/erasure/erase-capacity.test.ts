import { dueAfterMs } from '../../../domain/contract/erasure';
import { ATHENA_RULES } from '../../../domain/contract/sql/athena-rules';
import {
  CUSTOMERS_PER_RUN,
  ERASE_CONCURRENCY,
  hoursToErase,
  runMinutes,
} from '../../../domain/core/erasure/erase-capacity';

// The arithmetic docs/privacy.md ("Throughput on AWS") states, pinned.
const WINDOW_HOURS = 72;

describe('the erase pass on AWS keeps the 72 h window at 2,000 customers', () => {
  it('2,000 customers whose deletes fall due at once are all erased within the window', () => {
    const dueHours = dueAfterMs(WINDOW_HOURS) / 3_600_000;
    expect(dueHours).toBe(24);
    expect(hoursToErase(2_000)).toBe(42);
    expect(dueHours + hoursToErase(2_000)).toBeLessThanOrEqual(WINDOW_HOURS);
  });

  it('a run holds the lease for at most half an hour, leaving the rest of the hour to the compaction', () => {
    expect(runMinutes(10_000)).toBe(30);
    expect(runMinutes(CUSTOMERS_PER_RUN)).toBeLessThanOrEqual(30);
    expect(runMinutes(1)).toBe(5);
  });

  it('its passes at once stay within Athena’s DML concurrency with room for the rest of the account', () => {
    // The compaction never runs beside it (the lease): its own share is all it takes.
    expect(ERASE_CONCURRENCY).toBeLessThanOrEqual(ATHENA_RULES.dmlConcurrency.limit / 2);
  });
});
