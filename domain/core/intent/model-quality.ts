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

/** Each score's decile (1 = highest scores), in the order of the scores given. */
export function decileOf(scores: number[]): number[] {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const out = new Array<number>(scores.length);
  order.forEach(([, i], rank) => {
    out[i] = Math.min(10, Math.floor((rank * 10) / scores.length) + 1);
  });
  return out;
}
