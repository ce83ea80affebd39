import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import * as v from 'valibot';
import { DEFAULT_LIMITS } from '../../../../domain/core/ingest/limits';
import { MessageSchema, SCHEMA_LIMITS } from '../../../../domain/core/messages/message-schema';
import { canonicalMessage, validateMessage } from '../../../../domain/core/messages/validate-message';
import { wellFormedMessage } from '../../../../domain/core/messages/well-formed';
import { invalidFixtures, validFixtures } from '../../../support/fixtures';

// Values at and around every edge the schema draws: absent, null, empty, at and over each length
// limit, numbers (which the schema turns into strings), padded text (which it trims), objects, arrays,
// good and bad timestamps.
const EDGES: unknown[] = [
  ...[undefined, null, '', ' ', 'u-1', ' padded ', 'Signed Up', '\tSigned Up'],
  ...Object.values(SCHEMA_LIMITS).flatMap((n) => [n - 1, n, n + 1].map((k) => 'x'.repeat(k))),
  ...['2026-11-28T10:00:00.000Z', '2026-11-28', '2026-13-45T99:00:00Z', 'yesterday'],
  ...[0, 42, 1.5, Number.NaN, true, {}, { plan: 'pro' }, [], ['a']],
];
const edgy = fc.oneof(fc.constantFrom(...EDGES), fc.string({ maxLength: 8 }));
// Every field the schema checks, read from the schema itself (each message type's entries), but `type`.
const variant = MessageSchema.pipe[0] as unknown as { options: { entries: Record<string, unknown> }[] };
const FIELDS = [...new Set(variant.options.flatMap((option) => Object.keys(option.entries)))].filter(
  (field) => field !== 'type',
);
// Mostly well-formed messages with a few edgy fields each, so the edges are met one at a time.
const usual: Record<string, unknown> = {
  messageId: 'm-1',
  userId: 'u-1',
  anonymousId: undefined,
  timestamp: '2026-11-28T10:00:00.000Z',
  originalTimestamp: undefined,
  sentAt: undefined,
  receivedAt: undefined,
  context: { library: { name: 'analytics.js' } },
  integrations: undefined,
  traits: undefined,
  event: 'Signed Up',
  properties: { plan: 'pro' },
  name: undefined,
  category: undefined,
  groupId: 'g-1',
  previousId: 'p-1',
};
const TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'];
const message = fc.record(
  {
    type: fc.constantFrom(...TYPES),
    ...Object.fromEntries(
      FIELDS.map((field) => [
        field,
        fc.oneof({ arbitrary: fc.constant(usual[field]), weight: 3 }, { arbitrary: edgy, weight: 1 }),
      ]),
    ),
    custom: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['type'] },
);

/** What the schema says: accepted unchanged (the fast path's promise), accepted changed, or refused. */
function schemaVerdict(fields: Record<string, unknown>): 'unchanged' | 'changed' | 'refused' {
  const result = v.safeParse(MessageSchema, fields);
  if (!result.success) return 'refused';
  return isDeepStrictEqual(withoutUndefined(result.output), withoutUndefined(fields))
    ? 'unchanged'
    : 'changed';
}

const withoutUndefined = (value: object) =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));

describe('wellFormedMessage, the fast path past the schema', () => {
  it('knows a usual value for every field the schema checks', () => {
    expect(FIELDS.length).toBeGreaterThanOrEqual(16);
    for (const field of FIELDS) expect(Object.hasOwn(usual, field)).toBe(true);
  });

  it('says yes exactly when the schema accepts the message unchanged (generated messages)', () => {
    fc.assert(
      fc.property(message, (raw) => {
        const fields = canonicalMessage(raw)!;
        const fast = wellFormedMessage(fields);
        const verdict = schemaVerdict(fields);

        expect(fast === undefined ? verdict !== 'unchanged' : verdict === 'unchanged').toBe(true);
        if (fast) expect(fast).toBe(fields);
      }),
      { numRuns: 20_000, seed: 26 },
    );
  });

  it('agrees with the schema on every edge value of every field, one at a time, for every type', () => {
    for (const type of TYPES)
      for (const field of FIELDS)
        for (const value of EDGES) {
          const fields = canonicalMessage({ ...usual, type, [field]: value })!;
          const verdict = schemaVerdict(fields);

          expect({ type, field, value, fast: wellFormedMessage(fields) !== undefined }).toEqual({
            type,
            field,
            value,
            fast: verdict === 'unchanged',
          });
        }
  });

  it('agrees with the schema on every fixture, valid and invalid', () => {
    for (const [, raw] of validFixtures()) {
      const fields = canonicalMessage(raw)!;
      expect(wellFormedMessage(fields) !== undefined).toBe(schemaVerdict(fields) === 'unchanged');
    }
    for (const [, , raw] of invalidFixtures()) {
      const fields = canonicalMessage(raw);
      if (fields) expect(wellFormedMessage(fields)).toBeUndefined();
    }
  });

  it('leaves what it cannot prove to the schema, which still transforms it', () => {
    const result = validateMessage(
      { type: 'track', userId: 7, event: ' Signed Up ' },
      60,
      DEFAULT_LIMITS.maxMessageBytes,
    );

    expect(result.ok && [result.message.userId, result.message.event]).toEqual(['7', 'Signed Up']);
  });
});
