import { normalCdf, uplift, wilson } from '../../../../domain/core/audiences/uplift';
import { seededRandom } from '../../../../domain/core/common/seeded-random';

/** Users of a group, each converting with probability `rate` (seeded). */
const draw = (random: () => number, users: number, rate: number) => ({
  users,
  converted: Array.from({ length: users }, () => random() < rate).filter(Boolean).length,
});

describe('incremental lift (target against holdout)', () => {
  it('finds a planted effect: target 30 %, holdout 10 % → the interval excludes 0', () => {
    const random = seededRandom(1);
    const result = uplift(draw(random, 900, 0.3), draw(random, 100, 0.1));

    expect(result.uplift.ci95[0]).toBeGreaterThan(0);
    expect(result.uplift.absolute).toBeCloseTo(0.2, 1);
    expect(result.pValue).toBeLessThan(0.01);
  });

  it('with no effect the 95 % interval includes 0 in ≥ 93 % of 500 seeded runs', () => {
    let covered = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const random = seededRandom(seed);
      // A typical audience: 1,800 targeted, a 10 % holdout, a 5 % conversion rate for both.
      const { ci95 } = uplift(draw(random, 1_800, 0.05), draw(random, 200, 0.05)).uplift;
      if (ci95[0] <= 0 && ci95[1] >= 0) covered++;
    }

    expect(covered / 500).toBeGreaterThanOrEqual(0.93);
  });

  it('says when there is not enough data yet, and how much would be', () => {
    const early = uplift({ users: 300, converted: 6 }, { users: 30, converted: 1 });

    expect(early.enoughData).toBe(false);
    expect(early.needed.perGroup).toBeGreaterThan(1_000);
    expect(uplift({ users: 50_000, converted: 6_000 }, { users: 50_000, converted: 5_000 }).enoughData).toBe(
      true,
    );
  });

  it('uses textbook pieces: Wilson intervals and the normal CDF', () => {
    // Wilson's interval for 0 of 10 is [0, 0.2775] (z = 1.96).
    expect(wilson(0, 10)[1]).toBeCloseTo(0.2775, 3);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });
});
