import { receivedDt } from '../../contract/lake-areas';
import {
  type LakeEvent,
  LEDGER_FIELDS,
  type LedgerEntry,
  type QuarantineEntry,
} from '../../contract/lake-records';
import type { BadRequestError } from '../common/errors';
import { sliceText, wellFormedText } from '../common/unicode-text';
import { isoInstant, utcDate } from '../messages/timestamps';
import { compileLineWriter } from './line-writer';
import type { LakeLine } from './pack-records';

// The lake lines a request produces: its events, its quarantine entries and its completeness-ledger entries.

// An unreadable body is kept (up to this much of its text) so the customer's data is never silently
// dropped; more than this is not a Segment payload anyway.
const MAX_QUARANTINED_BODY_CHARS = 256 * 1024;
// Room left in a record for the quarantine entry's own fields around a truncated raw message.
const QUARANTINE_ENVELOPE_BYTES = 4 * 1024;

/**
 * A request's accepted events with their lines, each in two parts: its head (`eventLineHead`) and its
 * message's JSON. Joined, they are `eventLine(event, message)`; kept apart, the packer encodes the message
 * straight from the request's text instead of from a joined copy (see LakeLine.message).
 */
export interface EventLines {
  events: LakeEvent[];
  lineHeads: string[];
  messageJson: string[];
}

/** The accepted events' lines (their JSON was built once, by prepareMessages, in two parts). */
export function eventLines(prepared: EventLines): LakeLine[] {
  return prepared.events.map((event, i) => ({
    area: 'events',
    customerId: event.customer_id,
    // Landing partitions are by receive date (domain/contract/lake-areas.ts): the event's own date is
    // a column for analysis, never a landing partition.
    dt: receivedDt(event),
    spreadKey: event.message_id,
    json: prepared.lineHeads[i]!,
    message: prepared.messageJson[i]!,
  }));
}

/** What the ledger line of a request counts. */
export interface LedgerCounts {
  accepted: number;
  quarantined: number;
  duplicates: number;
}

/**
 * A ledger entry as its line, written as an event line's head is (line-writer.ts): JSON.stringify of the
 * entry was 3.3 % of a 1-message request's profile (docs/performance.md).
 */
const writeLedgerLine = compileLineWriter<LedgerEntry>(LEDGER_FIELDS);

/**
 * The request's one completeness-ledger line, under its receive date. Stored only after the request's
 * events and quarantine entries were acknowledged (see ingestRequest).
 */
export function ledgerLine(
  customerId: string,
  requestId: string,
  receivedAt: number,
  status: number,
  counts: LedgerCounts,
  source: LedgerEntry['source'] = 'ingest',
): LakeLine {
  const dt = utcDate(receivedAt);
  const entry: LedgerEntry = {
    ledger_version: 2,
    area: 'ledger',
    request_id: requestId,
    source,
    customer_id: customerId,
    dt,
    received_at: isoInstant(receivedAt),
    status,
    accepted: counts.accepted,
    quarantined: counts.quarantined,
    duplicates: counts.duplicates,
  };
  const json = writeLedgerLine(entry);
  return { area: 'ledger', customerId, dt, spreadKey: requestId, json };
}

export function unreadableBody(
  customerId: string,
  requestId: string,
  receivedAt: number,
  text: string,
  error: BadRequestError,
): QuarantineEntry {
  return {
    schema_version: 1,
    area: 'quarantine',
    customer_id: customerId,
    dt: utcDate(receivedAt),
    received_at: isoInstant(receivedAt),
    request_id: requestId,
    index: 0,
    message_id: null,
    reason: { code: 'unreadable_body', message: error.message },
    raw_body: wellFormedText(sliceText(text, MAX_QUARANTINED_BODY_CHARS)),
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
    json = JSON.stringify({ ...rest, raw_body: sliceText(text, Math.floor(room / 6)), raw_truncated: true });
  }
  return {
    area: 'quarantine',
    customerId: entry.customer_id,
    dt: entry.dt,
    spreadKey: `q-${entry.received_at}-${entry.index}`,
    json,
  };
}
