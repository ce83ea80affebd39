import { auc, deciles, notRecommended, rocCurve } from '../../../../domain/core/intent/model-quality';
import { trainLogistic } from '../../../../domain/core/intent/models';
import { decileOf } from '../../../support/reference-models';

describe('intent metrics', () => {
  it('AUC: 1 when every converter scores higher, 0.5 for ties, the Mann-Whitney share between', () => {
    expect(auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(auc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    // Pairs (converter, non-converter): (0.9,0.3) (0.9,0.7) (0.4,0.3) (0.4,0.7) → 3 of 4 ordered right.
    expect(auc([0.9, 0.4, 0.3, 0.7], [1, 1, 0, 0])).toBe(0.75);
    expect(auc([0.1, 0.2], [0, 0])).toBeNaN();
  });

  it('deciles: highest scores first, lift against the base rate, each score its decile', () => {
    const scores = Array.from({ length: 100 }, (_, i) => i / 100);
    const labels = scores.map((s) => (s >= 0.9 ? 1 : 0));

    const table = deciles(scores, labels);

    expect(table[0]).toMatchObject({ decile: 1, users: 10, converted: 10, rate: 1, lift: 10 });
    expect(table.slice(1).every((d) => d.converted === 0)).toBe(true);
    expect(decileOf(scores).slice(-10)).toEqual(Array(10).fill(1));
    expect(rocCurve(scores, labels).at(-1)).toEqual({ fpr: 1, tpr: 1 });
  });

  it('the regularized logistic regression learns a real effect and shrinks a noise one', () => {
    const rows = Array.from({ length: 400 }, (_, i) => [i % 2, (i * 7919) % 13]);
    const labels = rows.map(([x], i) => (x === 1 ? (i % 5 !== 0 ? 1 : 0) : i % 5 === 0 ? 1 : 0));

    const model = trainLogistic(rows, labels);

    const [first, second] = model.importance();
    expect(first!.feature).toBe(0);
    expect(first!.weight).toBeGreaterThan(0.5);
    expect(Math.abs(second!.weight)).toBeLessThan(0.2);
    expect(auc(model.predict(rows), labels)).toBeGreaterThan(0.75);
  });
});

describe('notRecommended (no audience from a Poor scoring)', () => {
  it.each([
    [{ quality: { grade: 'Poor', recommended: false } }, { grade: 'Poor' }],
    [{ quality: { recommended: false } }, { grade: 'Poor' }],
    [{ quality: { grade: 'Fair', recommended: true } }, undefined],
    // An earlier release's report, or none at all: nothing against it.
    [{ chosen: 'trees' }, undefined],
    [null, undefined],
  ])('%j → %j', (report, verdict) => {
    expect(notRecommended(report)).toEqual(verdict);
  });
});
