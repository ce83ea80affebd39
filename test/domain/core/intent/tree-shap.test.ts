import fc from 'fast-check';
import { trainBoostedTrees } from '../../../../domain/core/intent/boosted-trees';
import { calibrated, clipped, featureBounds } from '../../../../domain/core/intent/calibration';
import { trainLogistic } from '../../../../domain/core/intent/models';
import { type TreeNode, treeShap } from '../../../../domain/core/intent/tree-shap';
import { population } from '../../../support/intent-population';

/** The tree's expected value when only the features in `known` are the row's (the others by cover). */
function expectedGiven(node: TreeNode, row: number[], known: Set<number>): number {
  if (!('feature' in node)) return node.value;
  if (known.has(node.feature))
    return expectedGiven(row[node.feature]! <= node.threshold ? node.left : node.right, row, known);
  return (
    (node.left.cover * expectedGiven(node.left, row, known) +
      node.right.cover * expectedGiven(node.right, row, known)) /
    node.cover
  );
}

/** Shapley values by their definition: every subset of the tree's features, weighed. */
function bruteForce(tree: TreeNode, row: number[]): Map<number, number> {
  const features = new Set<number>();
  const collect = (n: TreeNode) => {
    if ('feature' in n) {
      features.add(n.feature);
      collect(n.left);
      collect(n.right);
    }
  };
  collect(tree);
  const all = [...features];
  const m = all.length;
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const values = new Map<number, number>();
  for (const i of all) {
    const others = all.filter((j) => j !== i);
    let phi = 0;
    for (let mask = 0; mask < 1 << others.length; mask++) {
      const known = new Set(others.filter((_, k) => (mask >> k) & 1));
      const w = (fact(known.size) * fact(m - known.size - 1)) / fact(m);
      phi += w * (expectedGiven(tree, row, new Set([...known, i])) - expectedGiven(tree, row, known));
    }
    values.set(i, phi);
  }
  return values;
}

/** A random tree of depth ≤ 3 over 4 features, with covers that add up. */
const arbitraryTree = (depth: number): fc.Arbitrary<TreeNode> =>
  depth === 0
    ? fc.record({
        value: fc.double({ min: -2, max: 2, noNaN: true }),
        cover: fc.integer({ min: 1, max: 50 }),
      })
    : fc.oneof(
        arbitraryTree(0),
        fc
          .tuple(
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: 0, max: 4 }),
            arbitraryTree(depth - 1),
            arbitraryTree(depth - 1),
          )
          .map(([feature, threshold, left, right]) => ({
            feature,
            threshold,
            left,
            right,
            cover: left.cover + right.cover,
          })),
      );

describe('TreeSHAP', () => {
  it('gives a stump’s split feature the leaf value less the cover-weighted mean', () => {
    const stump: TreeNode = {
      feature: 0,
      threshold: 1,
      cover: 100,
      left: { value: 2, cover: 30 },
      right: { value: -1, cover: 70 },
    };
    const explained = treeShap(stump);

    expect(explained.expected).toBeCloseTo(0.3 * 2 - 0.7, 12);
    expect(explained.shares([0]).map(([f]) => f)).toEqual([0]);
    expect(explained.shares([0])[0]![1]).toBeCloseTo(2 - (0.6 - 0.7), 12);
    expect(explained.shares([5])[0]![1]).toBeCloseTo(-1 - (0.6 - 0.7), 12);
  });

  it('equals the Shapley values computed by their definition, for any tree of depth 3', () => {
    fc.assert(
      fc.property(
        arbitraryTree(3),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 4, maxLength: 4 }),
        (tree, row) => {
          const explained = treeShap(tree);
          const exact = bruteForce(tree, row);
          const got = new Map(explained.shares(row));
          for (const [feature, phi] of exact) expect(got.get(feature) ?? 0).toBeCloseTo(phi, 9);
          // Local accuracy: the expected value and the shares add up to the row's leaf.
          const sum = [...got.values()].reduce((a, b) => a + b, explained.expected);
          expect(sum).toBeCloseTo(expectedGiven(tree, row, new Set([0, 1, 2, 3])), 9);
        },
      ),
      { numRuns: 300, seed: 43 },
    );
  });
});

describe('contributions of the trained models', () => {
  const logit = (x: number[]) => -3.2 + (x[1] === 1 ? 1 : -1) * Math.min(4, x[0]!) * 0.7;
  const train = population(8_000, 1, logit);
  const rows = population(300, 2, logit).rows.map((r) => r.map((x, j) => (j === 0 ? x * 2 : x)));

  it.each([
    ['trees', trainBoostedTrees(train.rows, train.labels, { rounds: 60 })],
    [
      'calibrated trees',
      calibrated(trainBoostedTrees(train.rows, train.labels, { rounds: 30 }), {
        slope: 0.8,
        intercept: -0.2,
      }),
    ],
    [
      'regression, clipped and calibrated',
      calibrated(clipped(trainLogistic(train.rows, train.labels), featureBounds(train.rows)), {
        slope: 1.3,
        intercept: 0.4,
      }),
    ],
  ])('%s: the baseline and a row’s contributions add up to its log-odds', (_, model) => {
    const margins = model.margin(rows);
    model.contributions(rows).forEach((shares, i) => {
      expect(shares).toHaveLength(5);
      expect(shares.reduce((a, b) => a + b, model.baseline)).toBeCloseTo(margins[i]!, 9);
    });
  });

  it('names the planted features, never the noise, as the strongest reasons of the top scorers', () => {
    const model = trainBoostedTrees(train.rows, train.labels, { rounds: 60 });
    const margins = model.margin(rows);
    const top = rows
      .map((_, i) => i)
      .sort((a, b) => margins[b]! - margins[a]!)
      .slice(0, 20);
    const contributions = model.contributions(top.map((i) => rows[i]!));
    for (const shares of contributions) {
      const strongest = shares.indexOf(Math.max(...shares));
      expect([0, 1]).toContain(strongest);
    }
  });
});
