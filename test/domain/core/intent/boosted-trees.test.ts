import { trainBoostedTrees } from '../../../../domain/core/intent/boosted-trees';
import { auc } from '../../../../domain/core/intent/model-quality';
import { trainLogistic } from '../../../../domain/core/intent/models';
import { population } from '../../../support/intent-population';

const compare = (logit: (x: number[]) => number) => {
  const train = population(20_000, 1, logit);
  const valid = population(20_000, 2, logit);
  const logistic = auc(trainLogistic(train.rows, train.labels).predict(valid.rows), valid.labels);
  // Stopped early on a slice of their own, as a run trains them.
  const stop = population(5_000, 3, logit);
  const trees = auc(trainBoostedTrees(train.rows, train.labels, { stop }).predict(valid.rows), valid.labels);
  return { logistic, trees };
};

describe('gradient-boosted trees', () => {
  it('matches the logistic regression where the signal is additive (within 0.02 AUC)', () => {
    // Each pricing view doubles the odds, up to 32×: the simulator's planted signal.
    const { logistic, trees } = compare((x) => -4 + Math.min(5, x[0]!) * Math.LN2);

    expect(logistic).toBeGreaterThan(0.7);
    expect(trees).toBeGreaterThan(logistic - 0.02);
  });

  it('beats it by at least 0.05 where the signal is an interaction', () => {
    // Pricing views raise the odds for one segment and lower them for the rest: no main effect to fit.
    const { logistic, trees } = compare((x) => -3.2 + (x[1] === 1 ? 1 : -1) * Math.min(4, x[0]!) * 0.7);

    expect(trees - logistic).toBeGreaterThanOrEqual(0.05);
  });

  it('predicts the rate it was trained on: unweighted log loss, started at the base rate', () => {
    const train = population(20_000, 3, (x) => -3 + 0.5 * Math.min(4, x[0]!));
    const model = trainBoostedTrees(train.rows, train.labels, { rounds: 60 });
    const mean = model.predict(train.rows).reduce((a, b) => a + b, 0) / train.rows.length;
    const rate = train.labels.reduce((a, b) => a + b, 0) / train.labels.length;

    expect(Math.abs(mean - rate) / rate).toBeLessThan(0.02);
  });

  it('stops early on a slice it never trains on: few trees without a signal, more with one', () => {
    const flat = population(10_000, 6, () => -3);
    const flatStop = population(5_000, 7, () => -3);
    const noSignal = trainBoostedTrees(flat.rows, flat.labels, { stop: flatStop });
    const signal = (x: number[]) => -3 + (x[1] === 1 ? 1 : -1) * Math.min(4, x[0]!) * 0.7;
    const mixed = population(10_000, 8, signal);
    const withSignal = trainBoostedTrees(mixed.rows, mixed.labels, { stop: population(5_000, 9, signal) });

    expect(noSignal.settings!.trees).toBeLessThan(10);
    expect(withSignal.settings!.trees).toBeGreaterThan(noSignal.settings!.trees!);
    // Without early stopping the trees grow to the most they may.
    expect(trainBoostedTrees(flat.rows, flat.labels).settings).toEqual({ trees: 200 });
  });

  it('counts a leaf by the weight of its users (sum of hessians), not their number', () => {
    const train = population(4_000, 10, (x) => -4 + Math.min(5, x[0]!) * Math.LN2);
    // A minimum weight no leaf can reach leaves one leaf per tree: every user the same margin.
    const stump = trainBoostedTrees(train.rows, train.labels, { minChildWeight: 1e9, rounds: 5 });
    expect(new Set(stump.predict(train.rows)).size).toBe(1);
    expect(
      new Set(trainBoostedTrees(train.rows, train.labels, { rounds: 5 }).predict(train.rows)).size,
    ).toBeGreaterThan(1);
  });

  it('names the feature that carries the signal first, with its direction', () => {
    const train = population(10_000, 4, (x) => -4 + Math.min(5, x[0]!) * Math.LN2);
    const [top] = trainBoostedTrees(train.rows, train.labels, { rounds: 60 }).importance();

    expect(top!.feature).toBe(0);
    expect(top!.weight).toBeGreaterThan(0);
  });

  it('is deterministic and refuses rows with one outcome only', () => {
    const train = population(2_000, 5, (x) => -2 + 0.5 * x[0]!);
    const a = trainBoostedTrees(train.rows, train.labels).predict(train.rows.slice(0, 50));
    const b = trainBoostedTrees(train.rows, train.labels).predict(train.rows.slice(0, 50));

    expect(a).toEqual(b);
    expect(() => trainBoostedTrees([[1], [2]], [0, 0])).toThrow('both outcomes');
  });
});
