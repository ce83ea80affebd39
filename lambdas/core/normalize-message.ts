import { createHash } from 'node:crypto';
import type { LakeEvent } from './lake-records';
import type { SegmentMessage } from './message-schema';
import { normalizeEventName } from './normalize-event-name';
import { correctTimestamp, isCanonicalIso, utcDate } from './timestamps';

export interface NormalizeContext {
  customerId: string;
  /** Our receive time, ms since the epoch. */
  receivedAt: number;
  /** The same, as ISO-8601 (computed once per request). */
  receivedIso?: string;
  /** `sentAt` from a batch envelope, used when a message has none of its own. */
  envelopeSentAt?: string | undefined;
  aliases: ReadonlyMap<string, string>;
}

// Years 0000–9999 are what an ISO date and a `dt=YYYY-MM-DD` partition can hold.
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
  let instant = correctTimestamp(
    { ...message, sentAt: message.sentAt ?? ctx.envelopeSentAt },
    ctx.receivedAt,
  );
  if (!(instant >= 0 && instant <= LAST_REPRESENTABLE_MS)) instant = ctx.receivedAt;
  const name = message.type === 'track' ? normalizeEventName(message.event, ctx.aliases) : null;
  const messageId =
    message.messageId ?? contentMessageId(ctx.customerId, fieldsJson ?? JSON.stringify(fields));
  return {
    schema_version: 1,
    message_id: messageId,
    message_id_generated: message.messageId === undefined,
    customer_id: ctx.customerId,
    dt: utcDate(instant),
    type: message.type,
    event: name?.canonical ?? null,
    event_raw: message.type === 'track' ? message.event : null,
    event_key: name?.key ?? null,
    user_id: message.userId ?? null,
    anonymous_id: message.anonymousId ?? null,
    // The message's own timestamp is kept as sent when it is already in canonical UTC form.
    timestamp:
      message.timestamp !== undefined &&
      isCanonicalIso(message.timestamp) &&
      Date.parse(message.timestamp) === instant
        ? message.timestamp
        : new Date(instant).toISOString(),
    received_at: ctx.receivedIso ?? new Date(ctx.receivedAt).toISOString(),
    message: fields,
  };
}

/**
 * A messageId for a message that has none: a hash of the customer and the message, so a client that
 * re-sends the same message gets the same id and the dedupe view still removes the copy.
 */
export function contentMessageId(customerId: string, fieldsJson: string): string {
  return `gen-${createHash('sha256').update(customerId).update('\n').update(fieldsJson).digest('hex').slice(0, 32)}`;
}
