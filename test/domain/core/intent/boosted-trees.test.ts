import { seededRandom } from '../../../../domain/core/common/seeded-random';
import { trainBoostedTrees } from '../../../../domain/core/intent/boosted-trees';
import { auc } from '../../../../domain/core/intent/model-quality';
import { trainLogistic } from '../../../../domain/core/intent/models';

/**
 * Users as the intent features see them: counts of page views and events, one segment flag, noise.
 * `logit` gives each user's log-odds of converting; labels are drawn from it (seeded).
 */
function population(users: number, seed: number, logit: (x: number[]) => number) {
  const random = seededRandom(seed);
  const poisson = (mean: number) => {
    let k = 0;
    for (let p = Math.exp(-mean), s = p, u = random(); u > s; k++) {
      p *= mean / (k + 1);
      s += p;
    }
    return k;
  };
  const rows = Array.from({ length: users }, () => [
    poisson(random() < 0.3 ? 3 : 0.4), // pricing views: evaluators look often
    random() < 0.33 ? 1 : 0, // a segment (a trait value)
    poisson(4), // other pages
    poisson(2), // events
    random() * 10, // noise
  ]);
  const labels: number[] = rows.map((x) => (random() < 1 / (1 + Math.exp(-logit(x))) ? 1 : 0));
  return { rows, labels };
}

const compare = (logit: (x: number[]) => number) => {
  const train = population(20_000, 1, logit);
  const valid = population(20_000, 2, logit);
  const logistic = auc(trainLogistic(train.rows, train.labels).predict(valid.rows), valid.labels);
  const trees = auc(trainBoostedTrees(train.rows, train.labels).predict(valid.rows), valid.labels);
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

  it('gives calibrated probabilities despite weighting the rare converters up', () => {
    const train = population(20_000, 3, (x) => -3 + 0.5 * Math.min(4, x[0]!));
    const model = trainBoostedTrees(train.rows, train.labels);
    const mean = model.predict(train.rows).reduce((a, b) => a + b, 0) / train.rows.length;
    const rate = train.labels.reduce((a, b) => a + b, 0) / train.labels.length;

    expect(Math.abs(mean - rate) / rate).toBeLessThan(0.15);
  });

  it('names the feature that carries the signal first, with its direction', () => {
    const train = population(10_000, 4, (x) => -4 + Math.min(5, x[0]!) * Math.LN2);
    const [top] = trainBoostedTrees(train.rows, train.labels).importance();

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
