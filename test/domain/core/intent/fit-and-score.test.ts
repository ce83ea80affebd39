import { featureBounds } from '../../../../domain/core/intent/calibration';
import { type FitInput, fitModel } from '../../../../domain/core/intent/fit-and-score';
import { expectedCalibrationError } from '../../../../domain/core/intent/model-quality';
import { trainLogistic } from '../../../../domain/core/intent/models';
import { checkScoring, expectedScores, type SpreadRow } from '../../../../domain/core/intent/score-check';
import { population } from '../../../support/intent-population';

/**
 * Hidden populations: every slice and the scoring date drawn from the same behaviour (seeded), so the
 * truth of the scoring date's outcomes is known. The run's promises are checked on it: probabilities
 * calibrated against what then happens, a model that ranks well not graded Poor, an interaction found.
 */
const COLUMNS = ['page_pricing', 'trait_segment', 'pages', 'events', 'noise'];
const additive = (x: number[]) => -4 + Math.min(5, x[0]!) * Math.LN2;
const interaction = (x: number[]) => -3.2 + (x[1] === 1 ? 1 : -1) * Math.min(4, x[0]!) * 0.7;

function fitSlices(logit: (x: number[]) => number, seed: number, options: Partial<FitInput> = {}) {
  const slice = (i: number) => population(12_000, seed + i, logit);
  return fitModel({
    columns: COLUMNS,
    slices: { training: slice(0), stop: slice(1), calibration: slice(2), report: slice(3) },
    cutoffs: [
      { cutoff: '2026-02-04', slices: ['training'] },
      { cutoff: '2026-02-18', slices: ['stop'] },
      { cutoff: '2026-03-04', slices: ['calibration'] },
      { cutoff: '2026-03-18', slices: ['report'] },
    ],
    shortHistory: false,
    maxUsers: 50_000,
    seed: 7,
    ...options,
  });
}

/** Where a model's probabilities at the scoring date fall against the outcomes that followed. */
function scoringDate(
  model: ReturnType<typeof fitSlices>['final'],
  logit: (x: number[]) => number,
  seed: number,
) {
  const future = population(20_000, seed, logit);
  const probabilities = model.predict(future.rows);
  return { probabilities, ece: expectedCalibrationError(probabilities, future.labels) };
}

describe('fitting intent models on slices in time order', () => {
  it('writes probabilities calibrated against what happens after the scoring date (ECE ≤ 0.03)', () => {
    const { final, quality, chosen, calibration } = fitSlices(additive, 100);
    const { ece } = scoringDate(final, additive, 200);

    expect(ece).toBeLessThanOrEqual(0.03);
    expect(quality.calibrationError).toBeLessThanOrEqual(0.03);
    expect(quality.grade).not.toBe('Poor');
    expect(chosen).toMatch(/logistic|trees/);
    expect(calibration.slope).toBeGreaterThan(0);
  });

  it('finds an interaction: trees chosen, AUC ≥ 0.68 on the report slice and after the scoring date', () => {
    const fitted = fitSlices(interaction, 300);
    const future = population(20_000, 400, interaction);

    expect(fitted.chosen).toBe('gradient-boosted trees');
    expect(fitted.validationAuc).toBeGreaterThanOrEqual(0.68);
    expect(expectedCalibrationError(fitted.final.predict(future.rows), future.labels)).toBeLessThanOrEqual(
      0.03,
    );
    // The trees kept by early stopping, and the regression's penalty, are in the report.
    expect(fitted.models.find((m) => m.name.includes('trees'))!.settings!.trees).toBeGreaterThan(5);
    expect(fitted.models.find((m) => m.name.includes('logistic'))!.settings!.lambda).toBeGreaterThan(0);
  });

  it('finds nothing where nothing was planted: Poor, and probabilities near the rate, not spread by noise', () => {
    const flat = () => -3;
    const fitted = fitSlices(flat, 500);
    const { probabilities } = scoringDate(fitted.final, flat, 600);
    const rate = 1 / (1 + Math.exp(3));

    expect(fitted.quality).toMatchObject({ grade: 'Poor', recommended: false });
    expect(Math.abs(fitted.validationAuc - 0.5)).toBeLessThan(0.05);
    for (const p of probabilities) expect(Math.abs(p - rate)).toBeLessThan(0.02);
  });

  it('with a short history says so and grades at most Fair', () => {
    const fitted = fitSlices(additive, 700, {
      cutoffs: [
        { cutoff: '2026-03-04', slices: ['training', 'stop'] },
        { cutoff: '2026-03-18', slices: ['calibration', 'report'] },
      ],
      shortHistory: true,
    });
    const full = fitSlices(additive, 700);

    expect(['Good', 'Excellent']).toContain(full.quality.grade);
    expect(fitted.quality.grade).toBe('Fair');
    expect(fitted.caveat).toMatch(
      /^short history: the report shares its cutoff \(2026-03-18\) with the calibration, so the grade is at most Fair \(measured (Good|Excellent)\)/,
    );
    expect(fitted.slices.map((s) => [s.name, s.cutoff])).toEqual([
      ['training', '2026-03-04'],
      ['stop', '2026-03-04'],
      ['calibration', '2026-03-18'],
      ['report', '2026-03-18'],
    ]);
  });

  it('clips a scoring date busier than training to the training range: the regression does not run to 1', () => {
    const linear = (x: number[]) => -4 + 0.3 * x[2]!;
    const fitted = fitSlices(linear, 800);
    const training = population(12_000, 800, linear);
    const bounds = featureBounds(training.rows);
    const busy = population(5_000, 900, linear, 6).rows;
    const clip = (row: number[]) => row.map((x, j) => Math.min(bounds.max[j]!, Math.max(bounds.min[j]!, x)));

    expect(fitted.chosen).toBe('logistic regression (L2)');
    expect(fitted.final.predict(busy)).toEqual(fitted.final.predict(busy.map(clip)));
    // Unclipped, the same regression would push the busiest users towards 1.
    const unclipped = trainLogistic(training.rows, training.labels);
    expect(Math.max(...unclipped.predict(busy))).toBeGreaterThan(
      Math.max(...fitted.final.predict(busy)) + 0.1,
    );
  });

  it('refuses a slice with too few conversions, naming it and its cutoff', () => {
    const few = population(2_000, 1_000, () => -6);
    expect(() =>
      fitSlices(additive, 100, { slices: { ...fitInputSlices(additive, 100), stop: few } }),
    ).toThrow(
      /^the stop slice \(cutoff 2026-02-18\) has 2000 eligible users and \d conversions: a model needs at least 10 of each there/,
    );
  });
});

function fitInputSlices(logit: (x: number[]) => number, seed: number) {
  const slice = (i: number) => population(12_000, seed + i, logit);
  return { training: slice(0), stop: slice(1), calibration: slice(2), report: slice(3) };
}

describe('checking a scoring against the report slice', () => {
  const report = Array.from({ length: 1_000 }, (_, i) => 0.01 + (i % 100) / 500);
  const expected = expectedScores(report);
  const spreadOf = (probabilities: number[]): SpreadRow[] => {
    const rows = new Map<number, SpreadRow>();
    for (const p of probabilities) {
      let bin = 0;
      while (bin < expected.edges.length && p > expected.edges[bin]!) bin++;
      const row = rows.get(bin) ?? { bin, users: 0, low: p, high: p };
      rows.set(bin, { bin, users: row.users + 1, low: Math.min(row.low, p), high: Math.max(row.high, p) });
    }
    return [...rows.values()];
  };

  it('passes a scoring spread like the report slice', () => {
    const check = checkScoring(expected, spreadOf(report.map((p) => p * 1.02)));
    expect(check.refused).toBeUndefined();
    expect(check.stabilityIndex).toBeLessThan(0.1);
    expect(check.users).toBe(1_000);
  });

  it('refuses probabilities all alike, and a spread that departs from the report slice', () => {
    expect(checkScoring(expected, spreadOf(report.map((p) => 0.99999 + p / 1e6))).refused).toMatch(
      /^every probability lies between 0\.999990 and 0\.999990: a scoring whose probabilities are all alike ranks nobody$/,
    );
    const shifted = checkScoring(expected, spreadOf(report.map((p) => Math.min(0.999, p * 4))));
    expect(shifted.refused).toMatch(
      /^the scores' spread departs from the report slice's \(population stability index \d+\.\d{3}, over 0.25\)/,
    );
    expect(checkScoring(expected, []).refused).toBe('no user was scored');
  });

  it('does not judge a shift on a handful of users', () => {
    expect(checkScoring(expected, spreadOf(report.slice(0, 50).map((p) => p * 4))).refused).toBeUndefined();
  });
});
