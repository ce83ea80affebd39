import type { ErasureRequest } from '../../contract/erasure';
import type { QuarantineEntry, Reason } from '../../contract/lake-records';
import type { Violation } from '../../contract/tracking-plan';
import { sliceText, wellFormedText, wellFormedValue } from '../common/unicode-text';
import { isDeleteMessage, readDeleteMessage } from '../erasure/delete-message';
import type { ErasedFilter } from '../erasure/erasure-log';
import { eventLineHead } from '../lake/event-line';
import type { EventLines } from '../lake/lake-lines';
import { boundedJson, MAX_MESSAGE_DEPTH } from '../messages/json-depth';
import { type NormalizeContext, normalizeMessage } from '../messages/normalize-message';
import { isoInstant, parseIsoTimestamp, utcDate } from '../messages/timestamps';
import { canonicalMessage, validateMessage } from '../messages/validate-message';
import type { CompiledPlan } from '../quality/tracking-plan';
import type { ParsedBody } from './parse-body';
import { membersOf, type SentText, sentTexts } from './sent-text';

// A too-deep message is kept as an excerpt this long: enough to see what it was and who sent it.
const TOO_DEEP_EXCERPT_CHARS = 64 * 1024;

export interface PrepareContext {
  customerId: string;
  receivedAt: number;
  aliases: ReadonlyMap<string, string>;
  maxMessageBytes: number;
  routeType?: string | undefined;
  /** The request that delivers the messages; every lake line of it carries this id. */
  requestId: string;
  /** The customer's tracking plan, compiled; none: every event lands with `planned: null`. */
  plan?: CompiledPlan | undefined;
  /** Drops resends of data about users the customer asked to erase (none when omitted). */
  erased?: ErasedFilter | undefined;
}

/** Per-message outcome for a message that did not reach the events lake. */
interface MessageError {
  index: number;
  messageId: string | null;
  code: Reason['code'];
  reason: string;
}

export interface PreparedMessages extends EventLines {
  quarantine: QuarantineEntry[];
  /** Messages whose messageId already appeared earlier in the same request: stored once. */
  duplicates: number;
  errors: MessageError[];
  /** Segment `delete` requests: recorded, never landed in the lake. */
  deletions: Omit<ErasureRequest, 'user_hash'>[];
  /** Messages about an erased user that Segment received before the delete: dropped, not stored. */
  erasedOnArrival: number;
}

/**
 * Sends every message of a request to exactly one place: a normalized lake event, or a quarantine
 * entry with its reason. A messageId repeated inside the request is stored once.
 *
 * @example prepareMessages(parseBody(text, limits), ctx).events.length
 */
export function prepareMessages(parsed: ParsedBody, ctx: PrepareContext): PreparedMessages {
  const out: PreparedMessages = {
    events: [],
    quarantine: [],
    duplicates: 0,
    errors: [],
    lineHeads: [],
    messageJson: [],
    deletions: [],
    erasedOnArrival: 0,
  };
  const seen = new Set<string>();
  const receivedIso = isoInstant(ctx.receivedAt);
  const envelopeSentAt = typeof parsed.envelopeSentAt === 'string' ? parsed.envelopeSentAt : undefined;
  const normalizeContext: NormalizeContext = {
    customerId: ctx.customerId,
    receivedAt: ctx.receivedAt,
    receivedIso,
    envelopeSentAt,
    aliases: ctx.aliases,
    requestId: ctx.requestId,
  };
  const texts = parsed.text === undefined ? undefined : sentTexts(parsed.text, parsed.shape);
  const sent = texts?.length === parsed.messages.length ? texts : undefined;
  // Text decoded from UTF-8 holds no lone surrogate; an escape (`\ud800`) can make one, and a string
  // handed over as it is (a Lambda event's body) may hold one itself.
  const mayHoldLoneSurrogate =
    parsed.text === undefined ||
    // Most bodies hold no `\u` escape at all: a plain search settles that before the pattern is tried.
    (parsed.text.includes('\\u') && SURROGATE_ESCAPE.test(parsed.text)) ||
    !parsed.text.isWellFormed();
  parsed.messages.forEach((sentMessage, index) => {
    let raw = sentMessage;
    let textViolations: Violation[] = NO_VIOLATIONS;
    if (mayHoldLoneSurrogate) {
      const made = wellFormedValue(sentMessage, MAX_MESSAGE_DEPTH + 1);
      raw = made.value;
      if (made.replaced.length > 0) textViolations = made.replaced.map(replacedTextViolation);
    }
    // One JSON text per message: it gives the size to check and is reused, as is, in the lake line. It is
    // the text as sent when that means exactly the stored message, else a serialization, which fails
    // only for nesting thousands of levels deep (then the reason for quarantine).
    const fields = canonicalMessage(raw, ctx.routeType);
    const sentText = raw === sentMessage ? sent?.[index] : undefined;
    const json = storableText(sentText, raw, fields) ?? serialize(fields ?? raw);
    if (json === undefined) {
      const reason: Reason = {
        code: 'message_too_deep',
        message: 'The message nests objects or arrays too deeply to store (thousands of levels).',
      };
      quarantine(out, ctx, index, reason, raw, {
        raw_body: boundedJson(raw, MAX_MESSAGE_DEPTH, TOO_DEEP_EXCERPT_CHARS),
        raw_truncated: true,
      });
      return;
    }
    if (isDeleteMessage(fields)) {
      const request = readDeleteMessage(fields!, ctx.customerId, receivedIso, json);
      if (!request.ok)
        quarantine(out, ctx, index, { code: 'missing_identity', message: request.reason }, fields, {
          raw: fields,
        });
      else if (out.deletions.every((d) => d.message_id !== request.request.message_id))
        out.deletions.push(request.request);
      else out.duplicates += 1;
      return;
    }
    const validation = validateMessage(raw, utf8Bytes(json), ctx.maxMessageBytes, ctx.routeType, fields);
    if (!validation.ok) {
      quarantine(out, ctx, index, validation.reason, validation.fields ?? raw, { raw });
      return;
    }
    const event = normalizeMessage(validation.message, validation.fields, normalizeContext, json);
    if (
      ctx.erased?.(event.user_id, event.anonymous_id, segmentReceivedMs(validation.fields, ctx.receivedAt))
    ) {
      out.erasedOnArrival += 1;
      return;
    }
    if (seen.has(event.message_id)) {
      out.duplicates += 1;
      return;
    }
    if (ctx.plan) {
      const check = ctx.plan.check(event.type, event.event_key, validation.fields);
      if (ctx.plan.mode === 'quarantine' && check.violations.length > 0) {
        const reason: Reason = {
          code: 'plan_violation',
          message: `The event breaks the tracking plan: ${check.violations.map((x) => x.message).join('; ')}.`,
        };
        quarantine(out, ctx, index, reason, validation.fields, { raw, violations: check.violations });
        return;
      }
      event.planned = check.planned;
      event.violations = check.violations;
    }
    if (textViolations.length > 0) event.violations = [...textViolations, ...event.violations];
    seen.add(event.message_id);
    out.events.push(event);
    out.lineHeads.push(eventLineHead(event));
    out.messageJson.push(json);
  });
  return out;
}

/**
 * Records a message that does not reach the events lake: its reason for the answer, its entry for the
 * quarantine area. A module function, not a closure per request (the request path makes none).
 */
function quarantine(
  out: PreparedMessages,
  ctx: PrepareContext,
  index: number,
  reason: Reason,
  fields: unknown,
  kept: Pick<QuarantineEntry, 'raw' | 'raw_body' | 'raw_truncated' | 'violations'>,
): void {
  const messageId = messageIdOf(fields);
  out.errors.push({ index, messageId, code: reason.code, reason: reason.message });
  out.quarantine.push({
    schema_version: 1,
    area: 'quarantine',
    customer_id: ctx.customerId,
    dt: utcDate(ctx.receivedAt),
    received_at: isoInstant(ctx.receivedAt),
    request_id: ctx.requestId,
    index,
    message_id: messageId,
    reason,
    ...kept,
    // The type a route gave a message that named none: redrive validates it with the same type again.
    ...(ctx.routeType !== undefined && !hasOwnType('raw' in kept ? kept.raw : fields)
      ? { route_type: ctx.routeType }
      : {}),
  });
}

function hasOwnType(fields: unknown): boolean {
  if (fields === null || typeof fields !== 'object') return false;
  const type = (fields as Record<string, unknown>).type;
  return type !== undefined && type !== null;
}

// A JSON escape of a UTF-16 surrogate (`\ud800`–`\udfff`, either case).
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const NO_VIOLATIONS: Violation[] = [];

/**
 * The flag on an event whose text held a lone surrogate (docs/segment-contract.md).
 *
 * @internal
 */
export const REPLACED_TEXT_RULE = 'replaced_text';

function replacedTextViolation(path: string): Violation {
  return {
    path,
    rule: REPLACED_TEXT_RULE,
    message: 'The text held a lone UTF-16 surrogate (not Unicode); it was replaced with U+FFFD.',
  };
}

/** When Segment received a message: its `receivedAt`, else when we did. */
function segmentReceivedMs(fields: Record<string, unknown>, ours: number): number {
  const theirs = typeof fields.receivedAt === 'string' ? parseIsoTimestamp(fields.receivedAt) : undefined;
  return theirs ?? ours;
}

/** UTF-8 size of a string; cheap when its length alone settles that it is small. */
function utf8Bytes(text: string): number {
  return text.length * 3 <= MAX_CHEAP_SIZE_CHECK ? text.length : Buffer.byteLength(text);
}
// A string of n UTF-16 units takes at most 3n bytes in UTF-8; below this, its length is a safe stand-in.
const MAX_CHEAP_SIZE_CHECK = 32 * 1024;

/**
 * The message's text as sent, when it can be stored in place of `JSON.stringify(fields)`: compact and
 * exact (see SentText), at most MAX_MESSAGE_DEPTH deep (so counting its members recurses a bounded
 * depth), no key repeated (JSON.parse keeps the last of two, a reader of the text may take the first),
 * and nothing renamed or filled in by canonicalMessage. A message without a `messageId` is serialized:
 * its generated id is a hash of the serialization, which must not depend on how the sender spaced or
 * escaped it.
 */
function storableText(
  sent: SentText | undefined,
  raw: unknown,
  fields: Record<string, unknown> | undefined,
): string | undefined {
  if (!sent?.exact || sent.depth > MAX_MESSAGE_DEPTH || !fields || fields !== raw) return undefined;
  if (typeof fields.messageId !== 'string' || sent.members !== membersOf(fields)) return undefined;
  return sent.text;
}

/** JSON of a value, or undefined when it nests too deeply for the serializer (a RangeError). */
function serialize(value: unknown): string | undefined {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return undefined;
  }
}

function messageIdOf(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  const id = (value as Record<string, unknown>).messageId;
  return typeof id === 'string' && id.length > 0 ? sliceText(wellFormedText(id), 256) : null;
}
