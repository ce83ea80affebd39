import { jsonLogger } from '../../adapters/system/json-logger';
import { runFuzz } from '../../scripts/fuzz/run-fuzz';

/** The `npm run fuzz` run, small and with fixed seeds, as part of the suite. */
describe('fuzzing the local destination', () => {
  it('loses no acknowledged event and answers no 5xx of ours, over a seeded mix of valid and hostile requests', async () => {
    const report = await runFuzz({ requests: 250, seed: 42, logger: jsonLogger('fuzz') });

    expect({
      lost: report.lost,
      duplicated: report.duplicated,
      ourServerErrors: report.ourServerErrors,
    }).toEqual({ lost: [], duplicated: [], ourServerErrors: 0 });
    expect(report.acknowledgedValid).toBeGreaterThan(500);
    expect(Object.keys(report.outcomes).length).toBeGreaterThan(8);
  });

  it('keeps that guarantee while the sink throttles, fails and crashes', async () => {
    const report = await runFuzz({
      requests: 120,
      seed: 7,
      logger: jsonLogger('fuzz'),
      faults: { throttleRate: 0.3, unavailableRate: 0.05, crashRate: 0.05, seed: 3 },
    });

    expect({ lost: report.lost, ourServerErrors: report.ourServerErrors }).toEqual({
      lost: [],
      ourServerErrors: 0,
    });
  });
});
