import * as v from 'valibot';
import { type Reason, type ReasonCode, SUPPORTED_TYPES } from '../../contract/lake-records';
import { canonicalizeFields } from './canonical-fields';
import { MessageSchema, SCHEMA_MESSAGES, type SegmentMessage } from './message-schema';
import { wellFormedMessage } from './well-formed';

export type Validation =
  | { ok: true; message: SegmentMessage; fields: Record<string, unknown> }
  | { ok: false; reason: Reason; fields?: Record<string, unknown> };

const CODE_BY_SCHEMA_MESSAGE = new Map<string, ReasonCode>([
  [SCHEMA_MESSAGES.identity, 'missing_identity'],
  [SCHEMA_MESSAGES.aliasUserId, 'missing_identity'],
  [SCHEMA_MESSAGES.event, 'missing_field'],
  [SCHEMA_MESSAGES.groupId, 'missing_field'],
  [SCHEMA_MESSAGES.previousId, 'missing_field'],
  [SCHEMA_MESSAGES.timestamp, 'invalid_timestamp'],
]);
const TYPE_SET: ReadonlySet<string> = new Set(SUPPORTED_TYPES);

/**
 * The message with the common fields under their canonical names (what the lake stores), the route's
 * type filled in when it names none, and the type lower-cased; `undefined` when it is not an object.
 * It is `raw` itself when none of that changed anything (prepare-messages.ts then may store the
 * message's text as sent); neither is ever changed.
 */
export function canonicalMessage(raw: unknown, routeType?: string): Record<string, unknown> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  let fields = canonicalizeFields(raw as Record<string, unknown>);
  const sent = fields.type;
  let type = sent;
  if (routeType !== undefined && (type === undefined || type === null)) type = routeType;
  // Some libraries send `"Track"`: the type names are case-insensitive in practice.
  if (typeof type === 'string') type = type.trim().toLowerCase();
  if (type !== sent) {
    if (fields === raw) fields = { ...fields };
    fields.type = type;
  }
  return fields;
}

/**
 * Validates one message against the Segment Spec. `serializedBytes` is its size, checked against the
 * 32 KB limit; `fields` may be passed when the caller already made them with `canonicalMessage`.
 *
 * @example validateMessage({ type: 'track', user_id: 'u1', event: 'Signed Up' }, 100, 32768).ok // true
 */
export function validateMessage(
  raw: unknown,
  serializedBytes: number,
  maxMessageBytes: number,
  /** The type a route implies (`POST /v1/track`), for messages that do not name their own. */
  routeType?: string,
  fields = canonicalMessage(raw, routeType),
): Validation {
  if (serializedBytes > maxMessageBytes) {
    return fail(
      'message_too_large',
      `The message is ${serializedBytes} bytes; Segment's limit is ${maxMessageBytes} bytes.`,
    );
  }
  if (!fields) return fail('not_an_object', 'Each message must be a JSON object.');
  const type = fields.type;
  if (type === undefined || type === null || type === '') {
    return fail(
      'missing_type',
      `The message has no "type"; expected one of ${SUPPORTED_TYPES.join(', ')}.`,
      fields,
    );
  }
  if (typeof type !== 'string' || !TYPE_SET.has(type)) {
    const shown = typeof type === 'string' ? `"${type.slice(0, 64)}"` : 'not a string';
    return fail(
      'unsupported_type',
      `The message type ${shown} is not supported; expected one of ${SUPPORTED_TYPES.join(', ')}.`,
      fields,
    );
  }
  const wellFormed = wellFormedMessage(fields);
  if (wellFormed) return { ok: true, message: wellFormed, fields };
  const result = v.safeParse(MessageSchema, fields);
  if (result.success) return { ok: true, message: result.output, fields };
  return { ok: false, reason: describe(result.issues[0]), fields };
}

function describe(issue: v.BaseIssue<unknown>): Reason {
  const path = v.getDotPath(issue);
  const known = CODE_BY_SCHEMA_MESSAGE.get(issue.message);
  if (known)
    return {
      code: known,
      message: path && known === 'invalid_timestamp' ? `${path} ${issue.message}` : issue.message,
    };
  if (path && issue.kind === 'schema' && issue.input === undefined) {
    return { code: 'missing_field', message: `The message has no "${path}", which its type requires.` };
  }
  return { code: 'invalid_field', message: `${path ?? 'message'}: ${issue.message}` };
}

function fail(code: ReasonCode, message: string, fields?: Record<string, unknown>): Validation {
  return fields ? { ok: false, reason: { code, message }, fields } : { ok: false, reason: { code, message } };
}
