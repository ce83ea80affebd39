import {
  liftQuality,
  logLoss,
  modelQuality,
  QUALITY_GRADES,
} from '../../../../domain/core/intent/model-quality';
import { percentileOf } from '../../../support/reference-models';

describe('model statistics (as Segment reports them)', () => {
  it('log loss: 0 for certainty that was right, ln 2 for a coin', () => {
    expect(logLoss([1, 0], [1, 0])).toBeCloseTo(0, 10);
    expect(logLoss([0.5, 0.5], [1, 0])).toBeCloseTo(Math.LN2, 10);
    // Certainty that was wrong is clipped, not infinite.
    expect(Number.isFinite(logLoss([0], [1]))).toBe(true);
  });

  it('lift quality: the top 20 %’s conversion rate over everyone’s', () => {
    // 10 users, 2 converters, both in the top 2 by score: 100 % against 20 % → 5.
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
    const labels = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0];

    expect(liftQuality(scores, labels)).toBeCloseTo(5, 10);
    expect(liftQuality([...scores].reverse(), labels)).toBe(0);
  });

  it('grades by every floor, and calls a model no better than the base rate Poor', () => {
    const labels = Array.from({ length: 1_000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const perfect = labels.map((l) => (l === 1 ? 0.9 : 0.05));
    const chance = labels.map(() => 0.1);

    expect(modelQuality(perfect, labels)).toMatchObject({ grade: 'Excellent', recommended: true });
    expect(modelQuality(chance, labels)).toMatchObject({ grade: 'Poor', recommended: false, auc: 0.5 });
    // The thresholds are written down, strictest first.
    expect(QUALITY_GRADES.map((g) => g.grade)).toEqual(['Excellent', 'Good', 'Fair']);
  });

  it('percentile cohorts: the share of users who score lower (0.8 = the top 20 %)', () => {
    const scores = [0.1, 0.5, 0.3, 0.9, 0.7, 0.2, 0.4, 0.6, 0.8, 0.0];
    const percentile = percentileOf(scores);

    expect(percentile[3]).toBe(0.9); // the highest of 10
    expect(percentile[9]).toBe(0); // the lowest
    expect(percentile.filter((p) => p >= 0.8)).toHaveLength(2); // the top 20 %
    expect(percentileOf([0.5, 0.5, 0.1])).toEqual([1 / 3, 1 / 3, 0]); // ties share a cohort
  });
});
