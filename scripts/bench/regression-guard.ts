import type { BenchRow } from './bench-report';

/**
 * The bench's regression guard: ratios of the fast parts (the core against the JSON floor, a tracking
 * plan against none), each measured against its own baseline in the same run, so a machine's speed
 * cancels out; a ratio more than `tolerance` below the committed one is a regression.
 */
export interface BenchBaseline {
  /** Where and when it was measured (for the reader; the check compares ratios only). */
  machine: string;
  measuredAt: string;
  ratios: Record<string, number>;
}

/** The parts `--check` measures: a few seconds each. */
export const GUARDED_PARTS = ['core', 'plan'] as const;

export interface GuardLine {
  id: string;
  baseline: number;
  now: number | undefined;
  /** now ÷ baseline − 1 */
  change: number | undefined;
  ok: boolean;
}

/** Each baseline ratio against this run's; a ratio the run did not measure fails (a part that broke). */
export function checkAgainstBaseline(
  baseline: BenchBaseline,
  rows: readonly BenchRow[],
  tolerance: number,
): GuardLine[] {
  const now = new Map(rows.filter((r) => r.ratio !== undefined).map((r) => [r.id, r.ratio!]));
  return Object.entries(baseline.ratios).map(([id, base]) => {
    const ratio = now.get(id);
    const change = ratio === undefined ? undefined : ratio / base - 1;
    return { id, baseline: base, now: ratio, change, ok: change !== undefined && change >= -tolerance };
  });
}

/**
 * How many runs of the fast parts a saved baseline is the median of. One run moves ±5–10 % here; with
 * three, one lucky or unlucky run does not set the bar (docs/performance.md, "regressions are caught").
 */
export const BASELINE_RUNS = 3;

/** The median ratio of each measure over the runs (a measure a run lacks is left out of that run), rounded. */
export function baselineOf(
  runs: readonly (readonly BenchRow[])[],
  machine: string,
  measuredAt: string,
): BenchBaseline {
  const byId = new Map<string, number[]>();
  for (const rows of runs)
    for (const r of rows) if (r.ratio !== undefined) byId.set(r.id, [...(byId.get(r.id) ?? []), r.ratio]);
  return {
    machine,
    measuredAt,
    ratios: Object.fromEntries(
      [...byId].map(([id, ratios]) => [id, Math.round(median(ratios) * 1000) / 1000]),
    ),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
