import { seededRandom } from '../../domain/core/common/seeded-random';

/**
 * Users as the intent features see them: counts of page views and events, one segment flag, noise.
 * `logit` gives each user's log-odds of converting; labels are drawn from it (seeded). `activity`
 * multiplies every count (a population busier than the one a model trained on).
 */
export function population(users: number, seed: number, logit: (x: number[]) => number, activity = 1) {
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
    poisson((random() < 0.3 ? 3 : 0.4) * activity), // pricing views: evaluators look often
    random() < 0.33 ? 1 : 0, // a segment (a trait value)
    poisson(4 * activity), // other pages
    poisson(2 * activity), // events
    random() * 10, // noise
  ]);
  const labels: number[] = rows.map((x) => (random() < 1 / (1 + Math.exp(-logit(x))) ? 1 : 0));
  return { rows, labels };
}
