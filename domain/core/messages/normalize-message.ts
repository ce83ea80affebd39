import { createHash } from 'node:crypto';
import type { LakeEvent } from '../../contract/lake-records';
import type { SegmentMessage } from './message-schema';
import { normalizeEventName } from './normalize-event-name';
import { canonicalIsoMs, correctTimestamp, eventDating, utcDate } from './timestamps';

export interface NormalizeContext {
  customerId: string;
  /** Our receive time, ms since the epoch. */
  receivedAt: number;
  /** The same, as ISO-8601 (computed once per request). */
  receivedIso?: string;
  /** `sentAt` from a batch envelope, used when a message has none of its own. */
  envelopeSentAt?: string | undefined;
  aliases: ReadonlyMap<string, string>;
  /** The request that delivers the message (API Gateway's request id). */
  requestId: string;
}

// The timestamp rule. A client's clock decides an event's partition only inside this window: before
// 2000 there were no Segment libraries (a 1969 or 1970 date is an unset clock), and more than a day ahead
// of our receive time is a wrong clock, not an event. Outside it the timestamp is kept as sent and
// flagged, and the event is partitioned by its receive date, so no client clock can open partitions
// without bound (Firehose allows 500 active partitions by default).
const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);
const MAX_CLOCK_AHEAD_MS = 24 * 60 * 60 * 1000;
// Years 0000–9999 are what an ISO-8601 string can hold.
const FIRST_REPRESENTABLE_MS = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_REPRESENTABLE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Builds the lake record of a valid message: canonical event name, corrected timestamp, partition.
 *
 * @example normalizeMessage(msg, fields, { customerId: 'acme', receivedAt: Date.now(), aliases: new Map() }).dt
 */
export function normalizeMessage(
  message: SegmentMessage,
  fields: Record<string, unknown>,
  ctx: NormalizeContext,
  /** `fields` already serialized, when the caller has it (saves a second serialization). */
  fieldsJson?: string,
): LakeEvent {
  // The time fields by name, not a spread of the whole message (that copy was per event).
  const instant = correctTimestamp(
    {
      timestamp: message.timestamp,
      originalTimestamp: message.originalTimestamp,
      sentAt: message.sentAt ?? ctx.envelopeSentAt,
      receivedAt: message.receivedAt,
    },
    ctx.receivedAt,
  );
  const outOfRange = !(instant >= EARLIEST_EVENT_MS && instant <= ctx.receivedAt + MAX_CLOCK_AHEAD_MS);
  const name = message.type === 'track' ? normalizeEventName(message.event, ctx.aliases) : null;
  const messageId =
    message.messageId ?? contentMessageId(ctx.customerId, fieldsJson ?? JSON.stringify(fields));
  // One pass over the time fields gives both the date and where it came from (this runs per event).
  const dating = eventDating(message, ctx.receivedAt);
  return {
    schema_version: 1,
    area: 'events',
    message_id: messageId,
    message_id_generated: message.messageId === undefined,
    customer_id: ctx.customerId,
    dt: utcDate(outOfRange ? ctx.receivedAt : instant),
    request_id: ctx.requestId,
    type: message.type,
    event: name?.canonical ?? null,
    event_raw: message.type === 'track' ? message.event : null,
    event_key: name?.key ?? null,
    user_id: message.userId ?? null,
    anonymous_id: message.anonymousId ?? null,
    timestamp: timestampText(message.timestamp, instant),
    timestamp_out_of_range: outOfRange,
    event_date: dating.date,
    event_date_from_sent_at: dating.fromSentAt,
    planned: null,
    violations: [],
    received_at: ctx.receivedIso ?? new Date(ctx.receivedAt).toISOString(),
    message: fields,
  };
}

/** The instant as ISO-8601 UTC; the message's own text when it is already that, or when no ISO string can hold the instant. */
function timestampText(sent: string | undefined, instant: number): string {
  if (sent !== undefined && canonicalIsoMs(sent) === instant) return sent;
  if (instant >= FIRST_REPRESENTABLE_MS && instant <= LAST_REPRESENTABLE_MS)
    return new Date(instant).toISOString();
  return sent ?? new Date(instant).toISOString();
}

/**
 * A messageId for a message that has none: a hash of the customer and the message, so a client that
 * re-sends the same message gets the same id and the dedupe view still removes the copy.
 */
export function contentMessageId(customerId: string, fieldsJson: string): string {
  return `gen-${createHash('sha256').update(customerId).update('\n').update(fieldsJson).digest('hex').slice(0, 32)}`;
}
