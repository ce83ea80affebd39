/** A landed event line, as much of it as the report reads. */
export interface QualityEvent {
  event: string | null;
  event_raw: string | null;
  planned?: boolean | null;
  violations?: { path: string; rule: string }[];
}

/** A quarantine line, as much of it as the report reads. */
export interface QualityQuarantine {
  reason: { code: string };
  violations?: { path: string; rule: string }[];
}

export interface QualityReport {
  events: number;
  /** Events checked against a plan (`planned` not null). */
  checked: number;
  /** Events with at least one violation, landed (flag mode). */
  violating: number;
  unplanned: { event: string; count: number }[];
  /** Violations by event, path and rule, landed and quarantined together, most frequent first. */
  violations: { event: string; path: string; rule: string; count: number }[];
  /** How many spellings were folded into each canonical name, with the spellings. */
  spellings: { event: string; spellings: { name: string; count: number }[] }[];
  quarantineReasons: { reason: string; count: number }[];
}

const bump = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
const sorted = <T extends { count: number }>(rows: T[]) =>
  rows.sort((a, b) => b.count - a.count || JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * The data-quality report of one customer's lines: violations by event and rule, unplanned events, the
 * spellings folded into each canonical name, and quarantine reasons. The Athena views `data_quality`
 * and `plan_violations` (lib/lake-catalog.ts) compute the same on AWS.
 *
 * @example qualityReport(events, quarantine).violations[0] // { event: 'Signed Up', path: 'properties.plan', rule: 'enum', count: 12 }
 */
export function qualityReport(
  events: Iterable<QualityEvent>,
  quarantine: Iterable<QualityQuarantine>,
): QualityReport {
  let total = 0;
  let checked = 0;
  let violating = 0;
  const unplanned = new Map<string, number>();
  const violations = new Map<string, number>();
  const spellings = new Map<string, Map<string, number>>();
  const reasons = new Map<string, number>();
  for (const e of events) {
    total += 1;
    if (e.planned !== null && e.planned !== undefined) checked += 1;
    if (e.planned === false && e.event) bump(unplanned, e.event);
    if (e.violations && e.violations.length > 0) violating += 1;
    for (const v of e.violations ?? [])
      bump(violations, JSON.stringify([e.event ?? '(no event)', v.path, v.rule]));
    if (e.event && e.event_raw) {
      const names = spellings.get(e.event) ?? new Map<string, number>();
      bump(names, e.event_raw);
      spellings.set(e.event, names);
    }
  }
  for (const q of quarantine) {
    bump(reasons, q.reason.code);
    for (const v of q.violations ?? []) bump(violations, JSON.stringify(['(quarantined)', v.path, v.rule]));
  }
  return {
    events: total,
    checked,
    violating,
    unplanned: sorted([...unplanned].map(([event, count]) => ({ event, count }))),
    violations: sorted(
      [...violations].map(([key, count]) => {
        const [event, path, rule] = JSON.parse(key) as [string, string, string];
        return { event, path, rule, count };
      }),
    ),
    spellings: [...spellings]
      .map(([event, names]) => ({
        event,
        spellings: sorted([...names].map(([name, count]) => ({ name, count }))),
      }))
      .sort((a, b) => b.spellings.length - a.spellings.length || a.event.localeCompare(b.event)),
    quarantineReasons: sorted([...reasons].map(([reason, count]) => ({ reason, count }))),
  };
}
