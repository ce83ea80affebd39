import { boundedJson, exceedsDepth, MAX_MESSAGE_DEPTH } from './json-depth';
import type { LakeEvent, QuarantineEntry } from './lake-records';
import { normalizeMessage } from './normalize-message';
import type { ParsedBody } from './parse-body';
import { utcDate } from './timestamps';
import { type Reason, validateMessage } from './validate-message';

// A too-deep message is kept as an excerpt this long: enough to see what it was and who sent it.
const TOO_DEEP_EXCERPT_CHARS = 64 * 1024;

export interface PrepareContext {
  customerId: string;
  receivedAt: number;
  aliases: ReadonlyMap<string, string>;
  maxMessageBytes: number;
  routeType?: string | undefined;
}

/** Per-message outcome for a message that did not reach the events lake. */
export interface MessageError {
  index: number;
  messageId: string | null;
  code: Reason['code'];
  reason: string;
}

export interface PreparedMessages {
  events: LakeEvent[];
  quarantine: QuarantineEntry[];
  /** Messages whose messageId already appeared earlier in the same request: stored once. */
  duplicates: number;
  errors: MessageError[];
}

/**
 * Sends every message of a request to exactly one place: a normalized lake event, or a quarantine
 * entry with its reason. A messageId repeated inside the request is stored once.
 *
 * @example prepareMessages(parseBody(text, limits), ctx).events.length
 */
export function prepareMessages(parsed: ParsedBody, ctx: PrepareContext): PreparedMessages {
  const out: PreparedMessages = { events: [], quarantine: [], duplicates: 0, errors: [] };
  const seen = new Set<string>();
  const receivedIso = new Date(ctx.receivedAt).toISOString();
  const envelopeSentAt = typeof parsed.envelopeSentAt === 'string' ? parsed.envelopeSentAt : undefined;
  const quarantine = (
    index: number,
    reason: Reason,
    fields: unknown,
    kept: Pick<QuarantineEntry, 'raw' | 'raw_body' | 'raw_truncated'>,
  ) => {
    const messageId = messageIdOf(fields);
    out.errors.push({ index, messageId, code: reason.code, reason: reason.message });
    out.quarantine.push({
      schema_version: 1,
      customer_id: ctx.customerId,
      dt: utcDate(ctx.receivedAt),
      received_at: receivedIso,
      index,
      message_id: messageId,
      reason,
      ...kept,
    });
  };
  parsed.messages.forEach((raw, index) => {
    if (exceedsDepth(raw, MAX_MESSAGE_DEPTH)) {
      const reason: Reason = {
        code: 'message_too_deep',
        message: `The message nests more than ${MAX_MESSAGE_DEPTH} levels of objects or arrays.`,
      };
      quarantine(index, reason, raw, {
        raw_body: boundedJson(raw, MAX_MESSAGE_DEPTH, TOO_DEEP_EXCERPT_CHARS),
        raw_truncated: true,
      });
      return;
    }
    const validation = validateMessage(raw, serializedBytes(raw), ctx.maxMessageBytes, ctx.routeType);
    if (!validation.ok) {
      quarantine(index, validation.reason, validation.fields ?? raw, { raw });
      return;
    }
    const event = normalizeMessage(validation.message, validation.fields, { ...ctx, envelopeSentAt });
    if (seen.has(event.message_id)) {
      out.duplicates += 1;
      return;
    }
    seen.add(event.message_id);
    out.events.push(event);
  });
  return out;
}

function serializedBytes(raw: unknown): number {
  return Buffer.byteLength(JSON.stringify(raw) ?? '');
}

function messageIdOf(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  const id = (value as Record<string, unknown>).messageId;
  return typeof id === 'string' && id.length > 0 ? id.slice(0, 256) : null;
}
