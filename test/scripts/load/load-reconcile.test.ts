import { readArtilleryReport } from '../../../scripts/load/artillery-config';
import { memoryGrowth } from '../../../scripts/load/memory';
import { type LoadLedgerLine, reconcile } from '../../../scripts/load/reconcile';

const entry = (over: Partial<LoadLedgerLine>): LoadLedgerLine => ({
  customerId: 'c',
  valid: [],
  invalid: [],
  duplicates: [],
  status: 200,
  ...over,
});

describe('load reconciliation', () => {
  it('passes when every acknowledged message landed, counting deliberate duplicates', () => {
    const ledger = [
      entry({ valid: ['a', 'b'], invalid: ['x'] }),
      entry({ valid: ['c'], duplicates: ['a'] }),
      entry({ valid: ['lost-but-refused'], status: 503 }),
    ];

    const result = reconcile(ledger, ['a', 'b', 'c', 'a'], ['x']);

    expect(result).toMatchObject({
      missing: [],
      unexplainedDuplicates: [],
      deliberateDuplicates: 1,
      missingFromQuarantine: [],
      distinctAcknowledged: 3,
    });
  });

  it('reports acknowledged messages that did not land, and copies nobody sent', () => {
    const result = reconcile([entry({ valid: ['a', 'b'], invalid: ['x'] })], ['a', 'a'], []);

    expect(result).toMatchObject({
      missing: ['b'],
      unexplainedDuplicates: ['a'],
      missingFromQuarantine: ['x'],
    });
  });
});

describe('memory growth', () => {
  it('passes a flat or saw-toothed series and fails a steady climb', () => {
    const flat = Array.from({ length: 40 }, (_, i) => 120 + (i % 4) * 10);
    const climbing = Array.from({ length: 40 }, (_, i) => 100 + i * 8);

    expect(memoryGrowth(flat).grew).toBe(false);
    expect(memoryGrowth(climbing).grew).toBe(true);
  });
});

describe("artillery's report", () => {
  it('yields status counts, 5xx, errors, latency and rate', () => {
    const summary = readArtilleryReport({
      aggregate: {
        counters: {
          'http.requests': 100,
          'http.codes.200': 97,
          'http.codes.503': 2,
          'http.codes.400': 1,
          'errors.ECONNRESET': 1,
        },
        summaries: { 'http.response_time': { p50: 3, p95: 9, p99: 20, p999: 40, max: 50 } },
        firstCounterAt: 0,
        lastCounterAt: 10_000,
      },
    });

    expect(summary).toMatchObject({
      requests: 100,
      serverErrors: 2,
      errors: { ECONNRESET: 1 },
      latencyMs: { p99: 20 },
      requestsPerSecond: 10,
    });
  });
});
