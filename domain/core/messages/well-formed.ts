import { SCHEMA_LIMITS, type SegmentMessage } from './message-schema';
import { isIsoTimestamp } from './timestamps';

/**
 * The fast path past the schema: the message itself when a few direct checks prove that
 * `MessageSchema` (valibot) would accept it *and give it back unchanged*; `undefined` otherwise, and
 * the caller asks the schema, which also says what is wrong. The schema stays the one definition of
 * the shape (and of the types); `test/domain/core/messages/well-formed.test.ts` proves, over generated messages, that
 * this answers yes exactly when the schema accepts a message without transforming it.
 *
 * Why: the schema's generic walk was the largest part of validation on the request path, while almost
 * every message a Segment library sends is plainly well-formed (docs/performance.md).
 *
 * Expects the fields after `canonicalMessage` (canonical names, type lower-cased).
 */
export function wellFormedMessage(fields: Record<string, unknown>): SegmentMessage | undefined {
  if (
    !optionalText(fields.messageId, 1, SCHEMA_LIMITS.messageId) ||
    !nullishText(fields.userId, 0, SCHEMA_LIMITS.id) ||
    !nullishText(fields.anonymousId, 0, SCHEMA_LIMITS.id) ||
    !optionalTimestamp(fields.timestamp) ||
    !optionalTimestamp(fields.originalTimestamp) ||
    !optionalTimestamp(fields.sentAt) ||
    !optionalTimestamp(fields.receivedAt) ||
    !nullishObject(fields.context) ||
    !nullishObject(fields.integrations)
  )
    return undefined;
  switch (fields.type) {
    case 'identify':
      if (!nullishObject(fields.traits)) return undefined;
      break;
    case 'track':
      if (!trimmedText(fields.event) || !nullishObject(fields.properties)) return undefined;
      break;
    case 'page':
    case 'screen':
      if (
        !nullishText(fields.name, 0, SCHEMA_LIMITS.pageText) ||
        !nullishText(fields.category, 0, SCHEMA_LIMITS.pageText) ||
        !nullishObject(fields.properties)
      )
        return undefined;
      break;
    case 'group':
      if (!text(fields.groupId, 1, SCHEMA_LIMITS.id) || !nullishObject(fields.traits)) return undefined;
      break;
    case 'alias':
      if (!text(fields.previousId, 1, SCHEMA_LIMITS.id)) return undefined;
      return present(fields.userId) ? (fields as SegmentMessage) : undefined;
    default:
      return undefined;
  }
  return present(fields.userId) || present(fields.anonymousId) ? (fields as SegmentMessage) : undefined;
}

function text(value: unknown, min: number, max: number): boolean {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

const optionalText = (value: unknown, min: number, max: number) =>
  value === undefined || text(value, min, max);
const nullishText = (value: unknown, min: number, max: number) =>
  value === undefined || value === null || text(value, min, max);
const optionalTimestamp = (value: unknown) =>
  value === undefined || (typeof value === 'string' && isIsoTimestamp(value));
const nullishObject = (value: unknown) =>
  value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value));
const present = (value: unknown) => typeof value === 'string' && value.length > 0;

/** A track event name the schema keeps as it is: no space to trim at either end, 1–512 characters. */
function trimmedText(value: unknown): boolean {
  return text(value, 1, SCHEMA_LIMITS.event) && (value as string).trim() === value;
}
