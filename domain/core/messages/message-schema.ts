import * as v from 'valibot';
import { isIsoTimestamp } from './timestamps';

/**
 * The Segment Spec message, as the single definition of its shape: the TypeScript types below are
 * inferred from it. Fields are matched after `canonicalizeFields`, so any casing of the common names
 * arrives here as the canonical one. Unknown fields are kept (loose objects).
 */

/** Messages whose text is matched to a stable quarantine reason code in `validate-message.ts`. */
export const SCHEMA_MESSAGES = {
  identity: 'a userId or an anonymousId is required',
  aliasUserId: 'alias needs a userId (the new id) and a previousId',
  event: 'track needs a non-empty "event" name',
  groupId: 'group needs a "groupId"',
  previousId: 'alias needs a "previousId"',
  timestamp: 'must be an ISO-8601 date or date-time, e.g. 2026-11-28T10:00:00.000Z',
} as const;

/** The schema's length limits, in characters (the fast path in well-formed.ts reads the same ones). */
export const SCHEMA_LIMITS = { id: 1024, messageId: 256, event: 512, pageText: 1024 } as const;

// Segment ids are strings; some libraries send numbers, which mean the same id as a string.
const Id = v.union([
  v.pipe(v.string(), v.maxLength(SCHEMA_LIMITS.id)),
  v.pipe(
    v.number(),
    v.finite(),
    v.transform((n) => String(n)),
  ),
]);
/** An id a message type cannot do without (group's groupId, alias's previousId). */
const requiredId = (message: string) =>
  v.pipe(
    Id,
    v.check((id) => id.length > 0, message),
  );
const Timestamp = v.pipe(v.string(), v.check(isIsoTimestamp, SCHEMA_MESSAGES.timestamp));
// A JSON object (not an array). Checked in place, not copied: the lake stores the message as sent.
const PlainObject = v.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a JSON object',
);

const common = {
  // Some libraries send numeric ids; they mean the same id as a string.
  messageId: v.optional(
    v.union([
      v.pipe(v.string(), v.minLength(1), v.maxLength(SCHEMA_LIMITS.messageId)),
      v.pipe(
        v.number(),
        v.finite(),
        v.transform((n) => String(n)),
      ),
    ]),
  ),
  userId: v.nullish(Id),
  anonymousId: v.nullish(Id),
  timestamp: v.optional(Timestamp),
  originalTimestamp: v.optional(Timestamp),
  sentAt: v.optional(Timestamp),
  receivedAt: v.optional(Timestamp),
  context: v.nullish(PlainObject),
  integrations: v.nullish(PlainObject),
};

const Identify = v.looseObject({ ...common, type: v.literal('identify'), traits: v.nullish(PlainObject) });
const Track = v.looseObject({
  ...common,
  type: v.literal('track'),
  event: v.pipe(
    v.string(SCHEMA_MESSAGES.event),
    v.trim(),
    v.minLength(1, SCHEMA_MESSAGES.event),
    v.maxLength(SCHEMA_LIMITS.event),
  ),
  properties: v.nullish(PlainObject),
});
const pageLike = {
  ...common,
  name: v.nullish(v.pipe(v.string(), v.maxLength(SCHEMA_LIMITS.pageText))),
  category: v.nullish(v.pipe(v.string(), v.maxLength(SCHEMA_LIMITS.pageText))),
  properties: v.nullish(PlainObject),
};
const Page = v.looseObject({ ...pageLike, type: v.literal('page') });
const Screen = v.looseObject({ ...pageLike, type: v.literal('screen') });
const Group = v.looseObject({
  ...common,
  type: v.literal('group'),
  groupId: requiredId(SCHEMA_MESSAGES.groupId),
  traits: v.nullish(PlainObject),
});
const Alias = v.looseObject({
  ...common,
  type: v.literal('alias'),
  previousId: requiredId(SCHEMA_MESSAGES.previousId),
});

const present = (id: string | null | undefined): boolean => typeof id === 'string' && id.length > 0;

export const MessageSchema = v.pipe(
  v.variant('type', [Identify, Track, Page, Screen, Group, Alias]),
  // Alias links a previous id to a user: it needs the userId. Every other type needs one identity.
  v.check((m) => m.type !== 'alias' || present(m.userId), SCHEMA_MESSAGES.aliasUserId),
  v.check((m) => m.type === 'alias' || present(m.userId) || present(m.anonymousId), SCHEMA_MESSAGES.identity),
);

export type SegmentMessage = v.InferOutput<typeof MessageSchema>;
