import type { BadRequestError } from './errors';
import type { LedgerEntry, QuarantineEntry } from './lake-records';
import type { LakeLine } from './pack-records';
import type { PreparedMessages } from './prepare-messages';
import { utcDate } from './timestamps';

// The lake lines a request produces: its events, its quarantine entries and its completeness-ledger entries.

// An unreadable body is kept (up to this much of its text) so the customer's data is never silently
// dropped; more than this is not a Segment payload anyway.
const MAX_QUARANTINED_BODY_CHARS = 256 * 1024;
// Room left in a record for the quarantine entry's own fields around a truncated raw message.
const QUARANTINE_ENVELOPE_BYTES = 4 * 1024;

/** The accepted events' lines (their JSON was built once, by prepareMessages). */
export function eventLines(prepared: Pick<PreparedMessages, 'events' | 'lines'>): LakeLine[] {
  return prepared.events.map((event, i) => ({
    area: 'events',
    customerId: event.customer_id,
    dt: event.dt,
    spreadKey: event.message_id,
    json: prepared.lines[i]!,
  }));
}

/** The request's completeness-ledger lines: accepted events per event date, quarantine and duplicates under the receive date. */
export function ledgerLines(
  customerId: string,
  receivedAt: number,
  prepared: Pick<PreparedMessages, 'events' | 'quarantine' | 'duplicates'>,
): LakeLine[] {
  const receivedDt = utcDate(receivedAt);
  const byDt = new Map<string, LedgerEntry>();
  const entry = (dt: string) => {
    let found = byDt.get(dt);
    if (!found) {
      found = {
        ledger_version: 1,
        customer_id: customerId,
        dt,
        received_at: new Date(receivedAt).toISOString(),
        accepted: 0,
        quarantined: 0,
        duplicates: 0,
      };
      byDt.set(dt, found);
    }
    return found;
  };
  for (const event of prepared.events) entry(event.dt).accepted += 1;
  if (prepared.quarantine.length > 0) entry(receivedDt).quarantined += prepared.quarantine.length;
  if (prepared.duplicates > 0) entry(receivedDt).duplicates += prepared.duplicates;
  return [...byDt.values()].map((ledger) => ({
    area: 'ledger',
    customerId,
    dt: ledger.dt,
    spreadKey: `ledger-${receivedAt}-${ledger.dt}`,
    json: JSON.stringify(ledger),
  }));
}

export function unreadableBody(
  customerId: string,
  receivedAt: number,
  text: string,
  error: BadRequestError,
): QuarantineEntry {
  return {
    schema_version: 1,
    customer_id: customerId,
    dt: utcDate(receivedAt),
    received_at: new Date(receivedAt).toISOString(),
    index: 0,
    message_id: null,
    reason: { code: 'unreadable_body', message: error.message },
    raw_body: text.slice(0, MAX_QUARANTINED_BODY_CHARS),
  };
}

/** A quarantine entry as one lake line; a raw message too large for one record is kept truncated. */
export function quarantineLine(entry: QuarantineEntry, maxRecordBytes: number): LakeLine {
  let json = JSON.stringify(entry);
  const room = maxRecordBytes - QUARANTINE_ENVELOPE_BYTES;
  if (Buffer.byteLength(json) > room) {
    const { raw, raw_body, ...rest } = entry;
    const text = raw_body ?? JSON.stringify(raw);
    // Characters can take up to 3 bytes in UTF-8 (and 6 once escaped in JSON), so keep a sixth.
    json = JSON.stringify({ ...rest, raw_body: text.slice(0, Math.floor(room / 6)), raw_truncated: true });
  }
  return {
    area: 'quarantine',
    customerId: entry.customer_id,
    dt: entry.dt,
    spreadKey: `q-${entry.received_at}-${entry.index}`,
    json,
  };
}
