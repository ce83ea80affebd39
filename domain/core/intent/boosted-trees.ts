import { type Model, modelOf, sqlDouble } from './models';
import { type TreeNode, treeShap } from './tree-shap';

/**
 * Gradient-boosted decision trees for a yes/no outcome (log loss), histogram-based, as LightGBM and
 * scikit-learn's HistGradientBoostingClassifier do it — hand-written because no maintained pure-JS
 * library does it (ml-cart, behind ml-random-forest, tries every value of every feature against every
 * row of a node: quadratic in rows, so it trained on 10,000 users at most and scored AUC 0.505 there).
 *
 * - Each feature's values are cut into at most `bins` quantile bins once; a split is "value ≤ a bin's
 *   upper edge". Building a tree level costs one pass over the node's rows per feature (a histogram of
 *   gradients per bin) plus bins × features to pick the split:
 *   **O(rounds × depth × rows × features)** time, O(rows × features) bytes of bins.
 * - Regularized as XGBoost and LightGBM are: a leaf needs a minimum sum of hessians (`minChildWeight`,
 *   "minimum child weight": a converter among non-converters weighs as much as its uncertainty, not as
 *   a row), an L2 penalty on leaf values, and **early stopping** — with a slice of users it never
 *   trains on (`stop`), trees are added while that slice's log loss improves and cut back to the best
 *   round once `patience` rounds bring nothing.
 * - Unweighted log loss, started at the training rate's log-odds: the margins are log-odds, which the
 *   calibration (calibration.ts) then fits to a later slice.
 * - Deterministic: no sampling, the same rows give the same model.
 */
export interface BoostingOptions {
  /** Trees at most. */
  rounds: number;
  /** Rounds without a better log loss on the stop slice before training stops. */
  patience: number;
  /** Levels per tree (2^depth leaves at most): depth 3 captures interactions of three features. */
  depth: number;
  /** Shrinkage per tree. */
  learningRate: number;
  /** Quantile bins per feature, at most 255 (a byte each). */
  bins: number;
  /** Training rows a leaf holds at least. */
  minLeaf: number;
  /**
   * The sum of hessians p(1 − p) a leaf holds at least: at a 5 % rate a user weighs ~0.05, so 2 is ~40
   * typical users and many more confident ones — smaller leaves fit a few users' noise.
   */
  minChildWeight: number;
  /** L2 penalty on leaf values. */
  lambda: number;
}

const BOOSTING_DEFAULTS: BoostingOptions = {
  rounds: 200,
  patience: 25,
  depth: 3,
  learningRate: 0.1,
  bins: 32,
  minLeaf: 20,
  minChildWeight: 2,
  lambda: 1,
};

/** Rows and outcomes: the early-stopping slice. */
export interface LabelledSlice {
  rows: number[][];
  labels: number[];
}

type Node = TreeNode;

export function trainBoostedTrees(
  rows: number[][],
  labels: number[],
  options: Partial<BoostingOptions> & { stop?: LabelledSlice } = {},
): Model {
  const o = { ...BOOSTING_DEFAULTS, ...options };
  const n = rows.length;
  const width = rows[0]?.length ?? 0;
  const positives = labels.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === n) throw new Error('boosting needs both outcomes among the rows');
  const base = Math.log(positives / (n - positives));
  const margin = new Float64Array(n).fill(base);
  const stop = options.stop;
  const stopMargin = new Float64Array(stop?.rows.length ?? 0).fill(base);
  let bestLoss = stop ? logLossOf(stopMargin, stop.labels) : 0;
  let bestRounds = 0;

  // Quantile bin edges per feature, and every row's bin.
  const edges: number[][] = [];
  const binned: Uint8Array[] = [];
  for (let j = 0; j < width; j++) {
    const sorted = Float64Array.from(rows, (r) => r[j]!).sort();
    const cuts: number[] = [];
    for (let b = 1; b < o.bins; b++) {
      const edge = sorted[Math.min(n - 1, Math.floor((b * n) / o.bins))]!;
      if (cuts.length === 0 || edge > cuts.at(-1)!) cuts.push(edge);
    }
    // The last edge would put every row left: no split there.
    if (cuts.at(-1) === sorted[n - 1]) cuts.pop();
    edges.push(cuts);
    const column = new Uint8Array(n);
    for (let i = 0; i < n; i++) column[i] = binOf(cuts, rows[i]![j]!);
    binned.push(column);
  }

  const gradient = new Float64Array(n);
  const hessian = new Float64Array(n);
  const gains = new Float64Array(width);
  const trees: Node[] = [];
  const gainsAt: Float64Array[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      gradient[i] = p - labels[i]!;
      hessian[i] = Math.max(p * (1 - p), 1e-12);
    }
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    const tree = grow(all, 0);
    trees.push(tree);
    gainsAt.push(gains.slice());
    if (!stop) continue;
    for (let i = 0; i < stopMargin.length; i++)
      stopMargin[i] = stopMargin[i]! + leafValue(tree, stop.rows[i]!);
    const loss = logLossOf(stopMargin, stop.labels);
    if (loss < bestLoss - 1e-12) {
      bestLoss = loss;
      bestRounds = trees.length;
    } else if (trees.length - bestRounds >= o.patience) break;
  }
  if (stop) {
    trees.length = bestRounds;
    gains.set(bestRounds > 0 ? gainsAt[bestRounds - 1]! : new Float64Array(width));
  }

  /** A node over `members` (row indices): a leaf, or the best split and its two subtrees. */
  function grow(members: Int32Array, level: number): Node {
    let g = 0;
    let h = 0;
    for (const i of members) {
      g += gradient[i]!;
      h += hessian[i]!;
    }
    const leaf = () => {
      const value = (-g / (h + o.lambda)) * o.learningRate;
      for (const i of members) margin[i] = margin[i]! + value;
      return { value, cover: members.length };
    };
    if (level >= o.depth || members.length < 2 * o.minLeaf || h < 2 * o.minChildWeight) return leaf();
    const parentScore = (g * g) / (h + o.lambda);
    let best: { gain: number; feature: number; bin: number } | undefined;
    const histG = new Float64Array(o.bins);
    const histH = new Float64Array(o.bins);
    const histN = new Int32Array(o.bins);
    for (let j = 0; j < width; j++) {
      const cuts = edges[j]!.length;
      if (cuts === 0) continue;
      histG.fill(0);
      histH.fill(0);
      histN.fill(0);
      const column = binned[j]!;
      for (const i of members) {
        const b = column[i]!;
        histG[b] = histG[b]! + gradient[i]!;
        histH[b] = histH[b]! + hessian[i]!;
        histN[b] = histN[b]! + 1;
      }
      let gl = 0;
      let hl = 0;
      let nl = 0;
      for (let b = 0; b < cuts; b++) {
        gl += histG[b]!;
        hl += histH[b]!;
        nl += histN[b]!;
        const nr = members.length - nl;
        if (nl < o.minLeaf) continue;
        if (nr < o.minLeaf) break;
        const gr = g - gl;
        const hr = h - hl;
        if (hl < o.minChildWeight || hr < o.minChildWeight) continue;
        const gain = (gl * gl) / (hl + o.lambda) + (gr * gr) / (hr + o.lambda) - parentScore;
        if (gain > (best?.gain ?? 1e-9)) best = { gain, feature: j, bin: b };
      }
    }
    if (!best) return leaf();
    gains[best.feature] = gains[best.feature]! + best.gain;
    const column = binned[best.feature]!;
    let leftCount = 0;
    for (const i of members) if (column[i]! <= best.bin) leftCount++;
    const left = new Int32Array(leftCount);
    const right = new Int32Array(members.length - leftCount);
    let l = 0;
    let r = 0;
    for (const i of members) {
      if (column[i]! <= best.bin) left[l++] = i;
      else right[r++] = i;
    }
    return {
      feature: best.feature,
      threshold: edges[best.feature]![best.bin]!,
      left: grow(left, level + 1),
      right: grow(right, level + 1),
      cover: members.length,
    };
  }

  const rawMargin = (row: number[]) => trees.reduce((sum, tree) => sum + leafValue(tree, row), base);
  const explained = trees.map((tree) => treeShap(tree));
  return modelOf({
    name: 'gradient-boosted trees',
    settings: { trees: trees.length },
    margin: (input) => input.map(rawMargin),
    baseline: explained.reduce((sum, t) => sum + t.expected, base),
    contributions: (input) =>
      input.map((row) => {
        const shares = new Array<number>(width).fill(0);
        for (const t of explained)
          for (const [feature, share] of t.shares(row)) shares[feature] = shares[feature]! + share;
        return shares;
      }),
    // Each tree's decision code (bit k: the row goes left at its split k) and its table of shares.
    contributionsSql: (feature) => ({
      kind: 'table',
      codes: explained.map((t) => {
        if (!t.table) throw new Error(`a tree of ${t.splits.length} splits has no table of shares`);
        return t.splits.length === 0
          ? '0'
          : `(${t.splits.map((split, k) => `if(${feature(split.feature)} <= ${sqlDouble(split.threshold)}, ${2 ** k}, 0)`).join(' + ')})`;
      }),
      shares: explained.flatMap((t, tree) =>
        (t.table ?? []).flatMap((byFeature, code) =>
          byFeature
            .filter(([, share]) => share !== 0)
            .map(([feature, share]) => ({ tree: tree + 1, code, feature: feature + 1, share })),
        ),
      ),
    }),
    importance: () => {
      // Gain share, signed by whether more of the feature goes with a higher score.
      const total = gains.reduce((a, b) => a + b, 0) || 1;
      const scores = rows.map(rawMargin);
      return Array.from({ length: width }, (_, feature) => ({
        feature,
        weight: (Math.sign(correlation(rows, feature, scores)) || 1) * (gains[feature]! / total),
      })).sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
    },
    // Each tree a nested CASE on the same thresholds, the margins summed in the same order. At most 7
    // splits a tree of depth 3: 200 trees stay under half of Athena’s 262,144 bytes a statement
    // (test/contract/athena-rules.test.ts holds it).
    marginSql: (feature) => {
      const node = (at: Node): string =>
        'feature' in at
          ? `CASE WHEN ${feature(at.feature)} <= ${sqlDouble(at.threshold)} THEN ${node(at.left)} ELSE ${node(at.right)} END`
          : sqlDouble(at.value);
      return [sqlDouble(base), ...trees.map(node)].join(' + ');
    },
  });
}

/** Mean log loss of log-odds against outcomes. */
function logLossOf(margins: Float64Array, labels: number[]): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const m = margins[i]!;
    // log(1 + e^−m) for a converter, log(1 + e^m) otherwise, without overflow.
    const z = labels[i] === 1 ? -m : m;
    sum += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  }
  return sum / Math.max(1, labels.length);
}

/** The bin of a value: the first edge it does not exceed, or the last bin. */
function binOf(cuts: number[], x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function leafValue(node: Node, row: number[]): number {
  let at = node;
  while ('feature' in at) at = row[at.feature]! <= at.threshold ? at.left : at.right;
  return at.value;
}

function correlation(rows: number[][], feature: number, scores: number[]): number {
  const n = rows.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += rows[i]![feature]!;
    my += scores[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  for (let i = 0; i < n; i++) sxy += (rows[i]![feature]! - mx) * (scores[i]! - my);
  return sxy;
}
