/** Area under the ROC curve: the chance a random converter scores above a random non-converter (ties ½). */
export function auc(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const rank = (i + 1 + j) / 2; // average rank of a tie group
    for (let k = i; k < j; k++)
      if (order[k]![1] === 1) {
        rankSum += rank;
        positives += 1;
      }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Points of the ROC curve (false-positive rate, true-positive rate), at most `points` of them. */
export function rocCurve(scores: number[], labels: number[], points = 50): { fpr: number; tpr: number }[] {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => b[0] - a[0]);
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  const curve = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  const every = Math.max(1, Math.floor(order.length / points));
  order.forEach(([, label], i) => {
    if (label === 1) tp++;
    else fp++;
    if ((i + 1) % every === 0 || i === order.length - 1)
      curve.push({ fpr: fp / Math.max(1, negatives), tpr: tp / Math.max(1, positives) });
  });
  return curve;
}

/** Per score decile (1 = highest): users, converters, their rate, lift over the base rate, mean score. */
export interface DecileRow {
  decile: number;
  users: number;
  converted: number;
  rate: number;
  lift: number;
  meanScore: number;
}

/** Deciles of users by score, highest first: lift and calibration in one table. */
export function deciles(scores: number[], labels: number[]): DecileRow[] {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => b[0] - a[0]);
  const base = labels.reduce((a, b) => a + b, 0) / Math.max(1, labels.length);
  return Array.from({ length: 10 }, (_, d) => {
    const slice = order.slice(Math.floor((d * order.length) / 10), Math.floor(((d + 1) * order.length) / 10));
    const converted = slice.filter(([, l]) => l === 1).length;
    const rate = converted / Math.max(1, slice.length);
    return {
      decile: d + 1,
      users: slice.length,
      converted,
      rate,
      lift: base > 0 ? rate / base : Number.NaN,
      meanScore: slice.reduce((s, [x]) => s + x, 0) / Math.max(1, slice.length),
    };
  });
}

/**
 * Mean log loss of probabilities against outcomes (natural log; probabilities clipped to [1e-15, 1 − 1e-15]).
 */
export function logLoss(probabilities: number[], labels: number[]): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / Math.max(1, labels.length);
}

/**
 * The expected calibration error over deciles of the probability: users sorted by probability and cut
 * into ten equal groups, and the mean gap between each group's mean probability and its conversion rate,
 * weighted by the group's size. 0 is perfectly calibrated; the reliability diagram draws the same groups.
 *
 * @internal
 */
export function expectedCalibrationError(probabilities: number[], labels: number[], groups = 10): number {
  const order = probabilities.map((p, i) => [p, labels[i]!] as const).sort((x, y) => x[0] - y[0]);
  let error = 0;
  for (let g = 0; g < groups; g++) {
    const slice = order.slice(
      Math.floor((g * order.length) / groups),
      Math.floor(((g + 1) * order.length) / groups),
    );
    if (slice.length === 0) continue;
    const predicted = slice.reduce((s, [p]) => s + p, 0) / slice.length;
    const observed = slice.reduce((s, [, y]) => s + y, 0) / slice.length;
    error += (slice.length / order.length) * Math.abs(predicted - observed);
  }
  return error;
}

/** The share of users a marketer acts on by default: Segment's Predictions suggest the top 20 %. */
const TOP_COHORT = 0.2;

/**
 * Lift quality, as Segment defines it — "the ratio between the results obtained with and without the
 * predictive model" — made concrete: the conversion rate of the top 20 % of users by score (with the
 * model) over the conversion rate of all users (without it). 1 is no better than picking at random.
 *
 * @internal
 */
export function liftQuality(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => b[0] - a[0]);
  const top = order.slice(0, Math.max(1, Math.round(order.length * TOP_COHORT)));
  const rate = (rows: readonly (readonly [number, number])[]) =>
    rows.reduce((n, [, l]) => n + l, 0) / Math.max(1, rows.length);
  const base = rate(order);
  return base > 0 ? rate(top) / base : Number.NaN;
}

/**
 * The quality grade of a model (Segment's "Prediction Quality Score": Poor, Fair, Good or Excellent
 * from AUC, log loss and lift quality; its thresholds are not published, these are ours). A grade
 * needs every one of its floors; a model whose log loss is no better than predicting the base rate for
 * everyone is Poor whatever its AUC. Below Fair a model is not recommended: the report says so.
 *
 * @internal
 */
export const QUALITY_GRADES = [
  { grade: 'Excellent', auc: 0.85, liftQuality: 3 },
  { grade: 'Good', auc: 0.75, liftQuality: 2 },
  { grade: 'Fair', auc: 0.65, liftQuality: 1.5 },
] as const;
type QualityGrade = (typeof QUALITY_GRADES)[number]['grade'] | 'Poor';

export interface ModelQuality {
  auc: number;
  logLoss: number;
  /** The expected calibration error over deciles (expectedCalibrationError). */
  calibrationError: number;
  /** The log loss of predicting the validation base rate for everyone: what the model must beat. */
  baselineLogLoss: number;
  liftQuality: number;
  grade: QualityGrade;
  /** Fair or better. */
  recommended: boolean;
}

export function modelQuality(probabilities: number[], labels: number[]): ModelQuality {
  const base = labels.reduce((a, b) => a + b, 0) / Math.max(1, labels.length);
  const measured = {
    auc: auc(probabilities, labels),
    logLoss: logLoss(probabilities, labels),
    baselineLogLoss: logLoss(
      labels.map(() => base),
      labels,
    ),
    liftQuality: liftQuality(probabilities, labels),
    calibrationError: expectedCalibrationError(probabilities, labels),
  };
  const grade: QualityGrade =
    measured.logLoss >= measured.baselineLogLoss
      ? 'Poor'
      : (QUALITY_GRADES.find((g) => measured.auc >= g.auc && measured.liftQuality >= g.liftQuality)?.grade ??
        'Poor');
  return { ...measured, grade, recommended: grade !== 'Poor' };
}

/**
 * What an intent run's report (its `report.json`) says against acting on its scores: graded Poor,
 * `quality.recommended` false. No audience is built from such a scoring, locally or on AWS: creating one
 * is refused unless forced, and a refresh keeps the audience's last version (docs/audiences.md). A report
 * without a grade (an earlier release's) says nothing against it.
 */
export function notRecommended(report: unknown): { grade: string } | undefined {
  const quality = (report as { quality?: { grade?: unknown; recommended?: unknown } } | null)?.quality;
  if (quality?.recommended !== false) return undefined;
  return { grade: typeof quality.grade === 'string' ? quality.grade : 'Poor' };
}

/** A percentile cohort after a scoring: what the model predicted for it against what its users did. */
export interface CohortOutcome {
  /** The cohort's lower bound: 0.9 is the top 10 % (percentiles 0.9–1.0). */
  cohort: number;
  users: number;
  converted: number;
  /** The cohort's conversion rate since the scoring. */
  realized: number;
  /** Its mean predicted probability. */
  predicted: number;
}

/**
 * Model monitoring (Segment checks a prediction this way after 7 days): scored users grouped by
 * percentile cohort, top first, with the conversions that actually followed, the realized AUC and the
 * realized calibration error — the same statistics as on the report slice, now on what happened.
 */
export function monitorOutcomes(rows: { probability: number; percentile: number; converted: number }[]): {
  cohorts: CohortOutcome[];
  realizedAuc: number;
  /** The mean gap between each cohort's predicted and realized rate, weighted by its users. */
  realizedCalibrationError: number;
  users: number;
  converted: number;
} {
  const cohorts = Array.from({ length: 10 }, (_, i) => ({
    cohort: (9 - i) / 10,
    users: 0,
    converted: 0,
    sum: 0,
  }));
  for (const row of rows) {
    const c = cohorts[9 - Math.min(9, Math.floor(row.percentile * 10 + 1e-9))]!;
    c.users += 1;
    c.converted += row.converted;
    c.sum += row.probability;
  }
  const outcomes = cohorts.map(({ sum, ...c }) => ({
    ...c,
    realized: c.converted / Math.max(1, c.users),
    predicted: sum / Math.max(1, c.users),
  }));
  return {
    cohorts: outcomes,
    realizedCalibrationError: outcomes.reduce(
      (e, c) => e + (c.users / Math.max(1, rows.length)) * Math.abs(c.predicted - c.realized),
      0,
    ),
    realizedAuc: auc(
      rows.map((r) => r.probability),
      rows.map((r) => r.converted),
    ),
    users: rows.length,
    converted: rows.reduce((n, r) => n + r.converted, 0),
  };
}
