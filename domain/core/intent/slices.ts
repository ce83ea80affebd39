import { createHash } from 'node:crypto';
import { addDays } from '../../contract/sql/intent-sql';

/**
 * The four slices of users an intent run learns and judges from, in time order: the trees and the
 * regression train on `training`; `stop` decides when the trees stop growing and how strongly the
 * regression is penalized; `calibration` fits each model's calibration and picks the model (by
 * calibrated log loss); `report` measures the chosen model and selects nothing.
 */
export const SLICES = ['training', 'stop', 'calibration', 'report'] as const;
export type SliceName = (typeof SLICES)[number];

/** One features query: the users eligible at `cutoff`, shared by `slices` (split by person). */
export interface CutoffSlices {
  cutoff: string;
  slices: SliceName[];
}

/** The plan of slices, and whether the history was too short to give each slice a cutoff of its own. */
export interface SlicePlan {
  cutoffs: CutoffSlices[];
  /** Cutoffs the history holds (2 to 4): with 2, the report shares its date with the calibration. */
  shortHistory: boolean;
}

/**
 * The slices for a scoring at `asOf`: cutoffs a horizon apart backwards from `asOf − horizon` (the last
 * date whose outcomes are known), as many as the history holds before them with a full look-back:
 *
 * | cutoffs | asOf − 4h | asOf − 3h | asOf − 2h | asOf − h |
 * |---|---|---|---|---|
 * | 4 | training | stop | calibration | report |
 * | 3 | | training + stop | calibration | report |
 * | 2 | | | training + stop | calibration + report |
 *
 * Slices at one cutoff are disjoint sets of persons (`sliceOf`). With two cutoffs the history is short:
 * the report measures the same weeks the calibration was fitted on, and the grade is at most Fair.
 * Fewer than two: `undefined` (the run says how much history it needs).
 */
export function planSlices(
  asOf: string,
  horizonDays: number,
  lookbackDays: number,
  firstDay: string,
): SlicePlan | undefined {
  const cutoff = (k: number) => addDays(asOf, -k * horizonDays);
  const fits = (k: number) => addDays(cutoff(k), -lookbackDays) >= firstDay;
  if (fits(4))
    return {
      shortHistory: false,
      cutoffs: SLICES.map((slice, i) => ({ cutoff: cutoff(4 - i), slices: [slice] })),
    };
  if (fits(3))
    return {
      shortHistory: false,
      cutoffs: [
        { cutoff: cutoff(3), slices: ['training', 'stop'] },
        { cutoff: cutoff(2), slices: ['calibration'] },
        { cutoff: cutoff(1), slices: ['report'] },
      ],
    };
  if (fits(2))
    return {
      shortHistory: true,
      cutoffs: [
        { cutoff: cutoff(2), slices: ['training', 'stop'] },
        { cutoff: cutoff(1), slices: ['calibration', 'report'] },
      ],
    };
  return undefined;
}

/** The share of a cutoff's persons each slice takes when two share it: most for the one that learns. */
const SHARES: Record<SliceName, number> = { training: 0.8, stop: 0.2, calibration: 0.5, report: 0.5 };

/**
 * The slice a person falls in at a cutoff several slices share: by a hash of the person (not of their
 * score, not random per run), so a rerun puts everyone where it did, and independent of the holdout.
 *
 * @internal
 */
export function sliceOf(person: string, slices: readonly SliceName[]): SliceName {
  if (slices.length === 1) return slices[0]!;
  const u = createHash('sha256').update(`intent-slice:${person}`).digest().readUInt32BE(0) / 2 ** 32;
  let bound = 0;
  for (const slice of slices) {
    bound += SHARES[slice];
    if (u < bound) return slice;
  }
  return slices.at(-1)!;
}

/** Each cutoff's rows (in `cutoffs` order) dealt to its slices by person. */
export function dealSlices<T extends { person?: unknown }>(
  cutoffs: readonly CutoffSlices[],
  sets: readonly T[][],
): Record<SliceName, T[]> {
  const dealt = Object.fromEntries(SLICES.map((s) => [s, [] as T[]])) as Record<SliceName, T[]>;
  cutoffs.forEach(({ slices }, i) => {
    for (const row of sets[i] ?? []) dealt[sliceOf(String(row.person), slices)].push(row);
  });
  return dealt;
}
