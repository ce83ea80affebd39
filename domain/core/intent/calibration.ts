import { type Model, modelOf, sqlDouble } from './models';

/** Each feature's range over the rows a model trained on: the scoring clips to it. */
export interface FeatureBounds {
  min: number[];
  max: number[];
}

export function featureBounds(rows: number[][]): FeatureBounds {
  const width = rows[0]?.length ?? 0;
  const min = Array.from({ length: width }, () => Number.POSITIVE_INFINITY);
  const max = Array.from({ length: width }, () => Number.NEGATIVE_INFINITY);
  for (const row of rows)
    for (let j = 0; j < width; j++) {
      if (row[j]! < min[j]!) min[j] = row[j]!;
      if (row[j]! > max[j]!) max[j] = row[j]!;
    }
  return {
    min: min.map((x) => (Number.isFinite(x) ? x : 0)),
    max: max.map((x) => (Number.isFinite(x) ? x : 0)),
  };
}

/**
 * A model that sees every feature inside the range it was trained on: a user at the scoring date with
 * more page views than anyone in training is scored as the most active training user, never
 * extrapolated (a linear model would otherwise push such a user's probability towards 1).
 */
export function clipped(model: Model, bounds: FeatureBounds): Model {
  const clippedFeature = (feature: (j: number) => string) => (j: number) =>
    `least(greatest(${feature(j)}, ${sqlDouble(bounds.min[j]!)}), ${sqlDouble(bounds.max[j]!)})`;
  const clip = (row: number[]) =>
    row.map((x, j) => Math.min(bounds.max[j] ?? x, Math.max(bounds.min[j] ?? x, x)));
  return modelOf({
    name: model.name,
    ...(model.settings ? { settings: model.settings } : {}),
    margin: (rows) => model.margin(rows.map(clip)),
    contributions: (rows) => model.contributions(rows.map(clip)),
    baseline: model.baseline,
    contributionsSql: (feature) => model.contributionsSql(clippedFeature(feature)),
    importance: () => model.importance(),
    marginSql: (feature) => model.marginSql(clippedFeature(feature)),
  });
}

/** Platt scaling: the calibrated log-odds are `slope × margin + intercept`. */
export interface Platt {
  slope: number;
  intercept: number;
}

/**
 * Platt's calibration (Platt 1999, with his smoothed targets so that a slice with few converters does
 * not push probabilities to 0 or 1), fitted by Newton's method on the model's log-odds over a slice
 * of users the model never trained on. Monotone when the slope is positive, so the ranking — the AUC,
 * the deciles — stays the model's; a slope ≤ 0 (the model ranks the slice no better than chance or
 * backwards) is clamped to 0: every user gets the slice's rate, and the grade says Poor.
 */
export function fitPlatt(margins: number[], labels: number[]): Platt {
  const positives = labels.reduce((a, b) => a + b, 0);
  const negatives = labels.length - positives;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (negatives + 2);
  const target = labels.map((y) => (y === 1 ? high : low));
  let a = 1;
  let b = 0;
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < margins.length; i++) {
      const m = margins[i]!;
      const p = 1 / (1 + Math.exp(-(a * m + b)));
      const r = p - target[i]!;
      const w = p * (1 - p);
      ga += r * m;
      gb += r;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-300)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  if (!(a > 0)) {
    // No ranking to keep: the slice's (smoothed) rate for everyone.
    const rate = (positives + 1) / (labels.length + 2);
    return { slope: 0, intercept: Math.log(rate / (1 - rate)) };
  }
  return { slope: a, intercept: b };
}

/** A model whose log-odds are recalibrated: `slope × margin + intercept`, in JavaScript and in SQL. */
export function calibrated(model: Model, platt: Platt): Model {
  return modelOf({
    name: model.name,
    ...(model.settings ? { settings: model.settings } : {}),
    margin: (rows) => model.margin(rows).map((m) => platt.slope * m + platt.intercept),
    // The calibration is linear in the log-odds: every share scales by the slope.
    contributions: (rows) => model.contributions(rows).map((row) => row.map((c) => platt.slope * c)),
    baseline: platt.slope * model.baseline + platt.intercept,
    contributionsSql: (feature) => {
      const inner = model.contributionsSql(feature);
      return inner.kind === 'terms'
        ? { kind: 'terms', terms: inner.terms.map((t) => `${sqlDouble(platt.slope)} * (${t})`) }
        : { ...inner, shares: inner.shares.map((r) => ({ ...r, share: platt.slope * r.share })) };
    },
    importance: () => model.importance(),
    marginSql: (feature) =>
      `${sqlDouble(platt.slope)} * (${model.marginSql(feature)}) + ${sqlDouble(platt.intercept)}`,
  });
}
