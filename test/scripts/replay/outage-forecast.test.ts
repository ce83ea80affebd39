import { DEFAULT_BREAKER } from '../../../domain/core/common/breaker';
import { INGEST_DEADLINE } from '../../../domain/core/ingest/request-deadline';
import { forecastOutages, type OutageInputs, requestHold } from '../../../scripts/replay/outage-forecast';

// The arithmetic: 5,000 requests/s against the 950 executions the account leaves the function.
const inputs: OutageInputs = {
  requestsPerSecond: 5_000,
  coreMs: 1,
  sinkMs: 10,
  dynamoMs: 5,
  slowMs: 400,
  budget: 950,
};

const row = (dependency: string, state: string, s = inputs) =>
  forecastOutages(s).find((o) => o.dependency === dependency && o.state === state)!;

describe('replay-sim: hold and concurrency by dependency state', () => {
  it('a request never holds longer than the deadline, whatever Kinesis does', () => {
    for (const state of ['healthy', 'throttling', 'slow', 'down'] as const)
      for (const slowMs of [100, 600, 5_000, 60_000]) {
        const { holdMs } = requestHold('kinesis', state, false, { ...inputs, slowMs });
        expect(holdMs).toBeLessThanOrEqual(inputs.coreMs + inputs.dynamoMs + INGEST_DEADLINE.totalMs);
      }
  });

  it('a full outage of Kinesis or DynamoDB, breakers open, stays within the budget; without breakers it would not', () => {
    for (const dependency of ['kinesis', 'dynamodb']) {
      const down = row(dependency, 'down');
      expect(down.concurrency).toBeLessThanOrEqual(inputs.budget);
      expect(down.onset).toBeDefined();
    }
    // Without a breaker every request would hold the events' share of the deadline: 3,775 executions.
    expect(row('kinesis', 'down').onset!.wanted).toBeGreaterThan(inputs.budget);
    expect(row('kinesis', 'down').onset!.seconds).toBeCloseTo(
      (DEFAULT_BREAKER.timeouts * (inputs.coreMs + inputs.dynamoMs + 750)) / 1000,
      1,
    );
  });

  it('a throttling Kinesis is answered at once: 503 after one put', () => {
    expect(row('kinesis', 'throttling')).toMatchObject({ answer: 503, holdMs: 16 });
  });

  it('a DynamoDB outage never refuses events: the filter is skipped after its share, then not asked', () => {
    expect(row('dynamodb', 'down')).toMatchObject({ answer: 200, holdMs: 21 });
    expect(row('dynamodb', 'down').onset!.holdMs).toBe(21 + INGEST_DEADLINE.erasureFilterMs);
  });

  it('a Kinesis that answers slowly but within the deadline is not cut off: its hold is twice its latency', () => {
    expect(row('kinesis', 'slow')).toMatchObject({ answer: 200, holdMs: 806 });
    // Past the events' share, it is treated as down: 503 by the deadline, then the breaker.
    expect(row('kinesis', 'slow', { ...inputs, slowMs: 2_000 })).toMatchObject({ answer: 503, holdMs: 6 });
  });
});
