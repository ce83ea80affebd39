import { sqlDouble } from './models';

/**
 * How a model's probabilities spread over the report slice: the edges of their deciles (equal ones
 * merged) and the share of the slice in each bin. The scoring at `asOf` is held to it.
 */
export interface ExpectedScores {
  edges: number[];
  shares: number[];
  users: number;
}

/** Bin of a probability: the first edge it does not exceed, or past the last. */
function binOf(edges: readonly number[], x: number): number {
  let bin = 0;
  while (bin < edges.length && x > edges[bin]!) bin++;
  return bin;
}

export function expectedScores(probabilities: number[]): ExpectedScores {
  const sorted = [...probabilities].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let d = 1; d < 10; d++) {
    const edge = sorted[Math.min(sorted.length - 1, Math.floor((d * sorted.length) / 10))];
    if (edge !== undefined && (edges.length === 0 || edge > edges.at(-1)!)) edges.push(edge);
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const p of probabilities) counts[binOf(edges, p)]! += 1;
  return {
    edges,
    shares: counts.map((c) => c / Math.max(1, probabilities.length)),
    users: probabilities.length,
  };
}

/**
 * The scoring's spread in the same bins, computed where the scores are (DuckDB over the staged file,
 * Athena over the date's partition): users, lowest and highest probability per bin. `scores` is a
 * relation with a `probability` column.
 */
export function scoreSpreadSql(scores: string, expected: ExpectedScores): string {
  const bin =
    expected.edges.length === 0
      ? '0'
      : `CASE ${expected.edges.map((e, i) => `WHEN probability <= ${sqlDouble(e)} THEN ${i}`).join(' ')} ELSE ${expected.edges.length} END`;
  return `SELECT bin, count(*) AS users, min(probability) AS low, max(probability) AS high FROM (SELECT ${bin} AS bin, probability FROM ${scores}) b GROUP BY bin ORDER BY bin`;
}

/** One row of scoreSpreadSql. */
export interface SpreadRow {
  bin: number;
  users: number;
  low: number;
  high: number;
}

/**
 * A population stability index above 0.25 is the usual line for "the population has shifted
 * significantly" (0.1–0.25: a moderate shift, below 0.1: none; Siddiqi, *Credit Risk Scorecards*,
 * 2006): past it the scores describe users unlike the ones the model was measured on.
 */
export const MAX_STABILITY_INDEX = 0.25;
/** Probabilities that span less than this (0.1 percentage point) from lowest to highest are all alike. */
const MIN_SPREAD = 0.001;
/** Below this many scored users the index is noise: the spread is still checked, the shift is not. */
const MIN_USERS_FOR_SHIFT = 200;

export interface ScoreCheck {
  users: number;
  low: number;
  high: number;
  /** The population stability index against the report slice, over its decile bins. */
  stabilityIndex: number;
  /** Why the scoring must not be used, when it must not. */
  refused?: string;
}

/** The scoring against the report slice: refused when its probabilities are all alike or have shifted. */
export function checkScoring(expected: ExpectedScores, spread: SpreadRow[]): ScoreCheck {
  const users = spread.reduce((n, r) => n + Number(r.users), 0);
  const low = Math.min(...spread.map((r) => Number(r.low)));
  const high = Math.max(...spread.map((r) => Number(r.high)));
  const floor = 1e-4;
  let stabilityIndex = 0;
  expected.shares.forEach((share, bin) => {
    const observed = Math.max(
      floor,
      Number(spread.find((r) => Number(r.bin) === bin)?.users ?? 0) / Math.max(1, users),
    );
    const wanted = Math.max(floor, share);
    stabilityIndex += (observed - wanted) * Math.log(observed / wanted);
  });
  const check = { users, low, high, stabilityIndex };
  if (users === 0) return { ...check, refused: 'no user was scored' };
  if (high - low < MIN_SPREAD)
    return {
      ...check,
      refused: `every probability lies between ${low.toPrecision(6)} and ${high.toPrecision(6)}: a scoring whose probabilities are all alike ranks nobody`,
    };
  if (users >= MIN_USERS_FOR_SHIFT && stabilityIndex > MAX_STABILITY_INDEX)
    return {
      ...check,
      refused: `the scores' spread departs from the report slice's (population stability index ${stabilityIndex.toFixed(3)}, over ${MAX_STABILITY_INDEX}): the users scored are unlike those the model was measured on`,
    };
  return check;
}
