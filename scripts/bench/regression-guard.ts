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

/** The ratios of this run to keep as the baseline. */
export function baselineOf(rows: readonly BenchRow[], machine: string, measuredAt: string): BenchBaseline {
  return {
    machine,
    measuredAt,
    ratios: Object.fromEntries(
      rows.filter((r) => r.ratio !== undefined).map((r) => [r.id, Math.round(r.ratio! * 1000) / 1000]),
    ),
  };
}
