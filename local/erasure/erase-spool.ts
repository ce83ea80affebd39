import { decodeSpoolSegment, encodeSpoolRecord } from '../../adapters/local/spool-format';
import { eraseFromText } from '../../domain/core/erasure/erase-lines';
import type { ErasureMatcher } from '../../domain/core/erasure/erasure-matcher';

/**
 * A damaged spool segment (kept for inspection under spool/damaged/) without the erased users' data:
 * intact records lose their matching lines, and a damaged byte range that names an erased id is
 * dropped whole (it cannot be parsed, so it cannot be cut finer). What is left is kept as it was.
 */
export function eraseFromSegment(
  bytes: Buffer,
  matcher: ErasureMatcher,
): {
  bytes: Buffer;
  events: number;
  quarantine: number;
  byDay: Map<string, { events: number; quarantine: number }>;
} {
  const { records, skipped } = decodeSpoolSegment(bytes);
  let events = 0;
  let quarantine = 0;
  const byDay = new Map<string, { events: number; quarantine: number }>();
  const parts: Buffer[] = [];
  for (const record of records) {
    const erased = eraseFromText(record.data.toString('utf8'), matcher);
    events += erased.events;
    quarantine += erased.quarantine;
    for (const [day, counts] of erased.byDay) {
      const known = byDay.get(day) ?? { events: 0, quarantine: 0 };
      known.events += counts.events;
      known.quarantine += counts.quarantine;
      byDay.set(day, known);
    }
    if (erased.text.length > 0) parts.push(encodeSpoolRecord({ ...record, data: erased.text }));
  }
  for (const range of skipped) {
    const raw = bytes.subarray(range.start, range.end);
    if (matcher.mentions(raw.toString('utf8'))) quarantine += 1;
    else parts.push(raw);
  }
  if (events + quarantine === 0) return { bytes, events, quarantine, byDay };
  return { bytes: Buffer.concat(parts), events, quarantine, byDay };
}
