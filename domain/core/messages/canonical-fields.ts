import { boundedMemo } from '../common/bounded-memo';

/**
 * Segment: "The casing on these fields will vary by customer, so be ready to accept any casing."
 * `userId`, `user_id`, `UserId`, `USER-ID` all mean `userId`. Keys are folded (lower case, without
 * `_`, `-` and spaces) and looked up here; unknown keys are kept exactly as sent.
 */
const CANONICAL_FIELDS = [
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'receivedAt',
  'context',
  'integrations',
  'properties',
  'traits',
  'event',
  'name',
  'category',
  'groupId',
  'previousId',
  'version',
  'channel',
] as const;

const BY_FOLDED_KEY = new Map<string, string>(CANONICAL_FIELDS.map((field) => [foldKey(field), field]));

// Keys seen before, and what they fold to: the same few dozen keys recur in every message.
const canonicalOf = boundedMemo(10_000, (key: string): string | undefined => BY_FOLDED_KEY.get(foldKey(key)));

function foldKey(key: string): string {
  return key.replace(/[\s_-]/g, '').toLowerCase();
}

/**
 * Returns the message with the common Segment fields under their canonical names: a copy when a key
 * was renamed, else the message itself (most messages, which need no copy; callers do not change it).
 * When a message carries both `userId` and `user_id`, the canonical spelling wins and the other is
 * kept under its own name, so nothing the customer sent is lost.
 *
 * @example canonicalizeFields({ user_id: 'u1', Event: 'x' }) // { userId: 'u1', event: 'x' }
 */
export function canonicalizeFields(message: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(message)) {
    const canonical = canonicalOf(key);
    if (canonical === undefined || canonical === key || Object.hasOwn(out ?? message, canonical)) continue;
    // Spread copies own properties with define semantics, so a `__proto__` key stays a plain property.
    out ??= { ...message };
    Object.defineProperty(out, canonical, {
      value: message[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
    delete out[key];
  }
  return out ?? message;
}
