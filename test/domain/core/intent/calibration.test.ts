import { seededRandom } from '../../../../domain/core/common/seeded-random';
import { calibrated, fitPlatt } from '../../../../domain/core/intent/calibration';
import { expectedCalibrationError } from '../../../../domain/core/intent/model-quality';
import { modelOf } from '../../../../domain/core/intent/models';

/** A model whose log-odds are three times too confident and shifted: the regression's failing. */
const overconfident = modelOf({
  name: 'overconfident',
  margin: (rows) => rows.map((r) => 3 * r[0]! + 2),
  contributions: (rows) => rows.map((r) => [3 * r[0]!]),
  baseline: 2,
  contributionsSql: (feature) => ({ kind: 'terms', terms: [`3E0 * ${feature(0)}`] }),
  importance: () => [{ feature: 0, weight: 1 }],
  marginSql: (feature) => `3E0 * ${feature(0)} + 2E0`,
});

function outcomes(n: number, seed: number) {
  const random = seededRandom(seed);
  const rows = Array.from({ length: n }, () => [random() * 4 - 4]);
  // The truth: log-odds r − 1.
  const labels: number[] = rows.map((r) => (random() < 1 / (1 + Math.exp(-(r[0]! - 1))) ? 1 : 0));
  return { rows, labels };
}

describe('Platt calibration', () => {
  it('recovers the true log-odds from an overconfident model, keeping its ranking', () => {
    const slice = outcomes(50_000, 1);
    const platt = fitPlatt(overconfident.margin(slice.rows), slice.labels);
    // truth = (margin − 2) / 3 − 1 = margin / 3 − 5/3
    expect(platt.slope).toBeCloseTo(1 / 3, 1);
    expect(platt.intercept).toBeCloseTo(-5 / 3, 0);

    const future = outcomes(50_000, 2);
    const before = expectedCalibrationError(overconfident.predict(future.rows), future.labels);
    const after = expectedCalibrationError(
      calibrated(overconfident, platt).predict(future.rows),
      future.labels,
    );
    expect(before).toBeGreaterThan(0.1);
    expect(after).toBeLessThan(0.01);
  });

  it('gives everyone the slice’s rate when the model ranks it backwards', () => {
    const slice = outcomes(5_000, 3);
    const backwards = fitPlatt(
      slice.rows.map((r) => -r[0]!),
      slice.labels,
    );
    const rate = (slice.labels.reduce((a, b) => a + b, 0) + 1) / (slice.labels.length + 2);
    expect(backwards.slope).toBe(0);
    expect(1 / (1 + Math.exp(-backwards.intercept))).toBeCloseTo(rate, 10);
  });
});
