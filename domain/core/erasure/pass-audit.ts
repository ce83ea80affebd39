import { ERASE_PLACES, type ErasePlace, type ErasureEntry } from '../../contract/erasure';

/** What one rewritten file (or object) of a pass removed. */
export interface FileCounts {
  place: ErasePlace;
  rows: number;
  byDay: Record<string, { events: number; quarantine: number }>;
}

/** A pass's totals: rows per place, files rewritten, landing rows per receive day. */
export interface PassTotals {
  rowsRemoved: Record<ErasePlace, number>;
  objects: number;
  byDay: Record<string, { events: number; quarantine: number }>;
}

export function zeroRows(): Record<ErasePlace, number> {
  return Object.fromEntries(ERASE_PLACES.map((p) => [p, 0])) as Record<ErasePlace, number>;
}

/**
 * The totals of a pass from its files' counts (the same for the local and the AWS pass). Only landing
 * rows (events, quarantine) count per receive day: completeness subtracts them; the copies in errors/,
 * redriven/ and damaged segments were never counted as landed.
 */
export function passTotals(
  files: Iterable<FileCounts>,
  extra: Partial<Record<ErasePlace, number>> = {},
): PassTotals {
  const totals: PassTotals = { rowsRemoved: zeroRows(), objects: 0, byDay: {} };
  for (const [place, rows] of Object.entries(extra)) totals.rowsRemoved[place as ErasePlace] += rows ?? 0;
  for (const file of files) {
    totals.rowsRemoved[file.place] += file.rows;
    if (file.rows > 0) totals.objects += 1;
    if (file.place !== 'events' && file.place !== 'quarantine') continue;
    for (const [day, counts] of Object.entries(file.byDay)) {
      const known = totals.byDay[day] ?? { events: 0, quarantine: 0 };
      known.events += counts.events;
      known.quarantine += counts.quarantine;
      totals.byDay[day] = known;
    }
  }
  return totals;
}

/**
 * The pass's requests as executed: no user id any more, the keyed hashes of the linked ids, and the
 * pass's counts on the first request (the others point to the same pass with zeros, so a sum over the
 * audit counts each row once).
 */
export function executedEntries(
  entries: readonly ErasureEntry[],
  totals: PassTotals,
  executedAt: string,
  linkedHashes: readonly string[],
): ErasureEntry[] {
  return entries.map((entry, i): ErasureEntry => {
    const { user_id: _id, ...rest } = entry;
    return {
      ...rest,
      status: 'done',
      executed_at: executedAt,
      linked_hashes: [...linkedHashes],
      rows_removed: i === 0 ? totals.rowsRemoved : zeroRows(),
      objects_rewritten: i === 0 ? totals.objects : 0,
      remaining_after: 0,
      removed_by_day: i === 0 ? totals.byDay : {},
    };
  });
}
