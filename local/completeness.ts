import type { ErasureEntry } from '../domain/contract/erasure';
import { receivedDt } from '../domain/contract/lake-areas';
import type { LandedLine } from './read-lake';

/** "Did all of it arrive?" for one customer and receive day. */
export interface CompletenessRow {
  customer_id: string;
  /** The receive date of the requests. */
  dt: string;
  /** Requests answered for good (ledger lines). */
  requests: number;
  /** Distinct events those requests acknowledged. */
  accepted: number;
  /** Of those, how many distinct messageIds landed under the same request ids. */
  landed: number;
  /** Acknowledged but not landed, summed per request, less what a Segment delete erased: a loss to look for (errors/, or gone). */
  missing: number;
  /** Landed, then erased at a customer's request (Segment `delete`; the erasure audit counts them). */
  erased: number;
  /** Landed under a request id beyond what its ledger line counts: never expected. */
  surplus: number;
  quarantined: number;
  quarantine_landed: number;
  /**
   * Events whose request has no ledger line: the request ended in a retryable error after some of its
   * records were stored, and the sender resent them. Expected under faults; de-duplication removes them.
   */
  unacknowledged: number;
}

type Row = Record<string, unknown>;

/**
 * Completeness per customer and receive day, exact per request: each ledger line is joined with the
 * events and quarantine entries that carry its request id, and missing and surplus are summed per
 * request, so a surplus in one request never hides a loss in another. The same logic as the Athena
 * view `completeness` (lib/lake-catalog.ts).
 *
 * @example completeness(readLake(root, 'ledger'), readLake(root, 'events'), readLake(root, 'quarantine'))
 */
export function completeness(
  ledger: LandedLine[],
  events: LandedLine[],
  quarantine: LandedLine[],
  /** The erasure audit (FileErasureLog): rows it removed are erased, not missing. */
  erasures: readonly ErasureEntry[] = [],
): CompletenessRow[] {
  const key = (r: Row) => `${r.customer_id}\u0000${r.request_id}`;
  const eventIds = groupDistinct(
    events.map((l) => l.record),
    key,
    (r) => String(r.message_id),
  );
  const quarantineCount = new Map<string, number>();
  for (const { record } of quarantine)
    quarantineCount.set(key(record), (quarantineCount.get(key(record)) ?? 0) + 1);
  const rows = new Map<string, CompletenessRow>();
  const row = (customerId: string, dt: string) => {
    const id = `${customerId}\u0000${dt}`;
    let found = rows.get(id);
    if (!found) {
      found = {
        customer_id: customerId,
        dt,
        requests: 0,
        accepted: 0,
        landed: 0,
        missing: 0,
        erased: 0,
        surplus: 0,
        quarantined: 0,
        quarantine_landed: 0,
        unacknowledged: 0,
      };
      rows.set(id, found);
    }
    return found;
  };
  const ledgered = new Set<string>();
  for (const { record } of ledger) {
    if (record.ledger_version !== 2) continue; // lines written before per-request ids cannot be joined
    const k = key(record);
    ledgered.add(k);
    const accepted = Number(record.accepted);
    const landed = eventIds.get(k)?.size ?? 0;
    const r = row(String(record.customer_id), String(record.dt));
    r.requests += 1;
    r.accepted += accepted;
    r.landed += landed;
    r.missing += Math.max(accepted - landed, 0);
    r.surplus += Math.max(landed - accepted, 0);
    r.quarantined += Number(record.quarantined);
    r.quarantine_landed += quarantineCount.get(k) ?? 0;
  }
  for (const { record } of events) {
    if (record.request_id === undefined || ledgered.has(key(record))) continue;
    row(String(record.customer_id), receivedDt(record)).unacknowledged += 1;
  }
  for (const entry of erasures)
    for (const [day, counts] of Object.entries(entry.removed_by_day ?? {})) {
      const r = rows.get(`${entry.customer_id}\u0000${day}`);
      if (!r) continue;
      r.erased += counts.events;
      r.missing = Math.max(r.missing - counts.events, 0);
      r.quarantine_landed += counts.quarantine;
    }
  return [...rows.values()].sort(
    (a, b) => a.customer_id.localeCompare(b.customer_id) || a.dt.localeCompare(b.dt),
  );
}

function groupDistinct(
  records: Row[],
  key: (r: Row) => string,
  value: (r: Row) => string,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const record of records) {
    const k = key(record);
    let set = out.get(k);
    if (!set) {
      set = new Set();
      out.set(k, set);
    }
    set.add(value(record));
  }
  return out;
}
