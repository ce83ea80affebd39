import { DEFAULT_LIMITS } from '../../../../domain/core/ingest/limits';
import { canonicalMessage, validateMessage } from '../../../../domain/core/messages/validate-message';
import { invalidFixtures, validFixtures } from '../../../support/fixtures';

const size = (m: unknown) => Buffer.byteLength(JSON.stringify(m));

describe('validateMessage', () => {
  it.each(validFixtures())('accepts the valid fixture %s', (_file, message) => {
    const result = validateMessage(message, size(message), DEFAULT_LIMITS.maxMessageBytes);

    expect(result).toMatchObject({ ok: true });
  });

  it.each(invalidFixtures())(
    'refuses the invalid fixture %s with reason %s',
    (_file, expectedReason, message) => {
      const result = validateMessage(message, size(message), DEFAULT_LIMITS.maxMessageBytes);

      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason.code).toBe(expectedReason);
        expect(result.reason.message.length).toBeGreaterThan(10);
      }
    },
  );

  it('accepts any casing of the common field names', () => {
    const spellings = ['userId', 'user_id', 'UserId', 'USER_ID', 'user-id', 'userid'];
    for (const spelling of spellings) {
      const result = validateMessage(
        { TYPE: 'track', [spelling]: 'u-1', EVENT: 'x' },
        50,
        DEFAULT_LIMITS.maxMessageBytes,
      );

      expect(result.ok && result.message.userId).toBe('u-1');
    }
  });

  it('quarantines a message over the size limit with that reason', () => {
    const result = validateMessage(
      { type: 'track', userId: 'u', event: 'x' },
      40_000,
      DEFAULT_LIMITS.maxMessageBytes,
    );

    expect(result).toMatchObject({ ok: false, reason: { code: 'message_too_large' } });
  });

  it('takes the type from the route when the message names none', () => {
    const result = validateMessage(
      { userId: 'u', event: 'Signed Up' },
      50,
      DEFAULT_LIMITS.maxMessageBytes,
      'track',
    );

    expect(result.ok && result.message.type).toBe('track');
  });

  it('keeps unknown fields and does not let __proto__ keys touch prototypes', () => {
    const raw = JSON.parse(
      '{"type":"track","userId":"u","event":"x","custom":1,"__proto__":{"polluted":true}}',
    );

    const result = validateMessage(raw, 80, DEFAULT_LIMITS.maxMessageBytes);

    expect(result.ok && result.fields.custom).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.ok ? result.fields : {})).toBe(Object.prototype);
  });
});

describe('canonicalMessage', () => {
  it('is the message itself when nothing needed changing, else a copy, and never changes the message', () => {
    const canonical = { type: 'track', userId: 'u', event: 'x' };
    const capitals = { type: ' Track', userId: 'u', event: 'x' };
    const untyped = { userId: 'u', event: 'x' };

    expect(canonicalMessage(canonical)).toBe(canonical);
    expect(canonicalMessage(capitals)).toEqual({ ...capitals, type: 'track' });
    expect(canonicalMessage(untyped, 'track')).toEqual({ ...untyped, type: 'track' });
    expect(capitals.type).toBe(' Track');
    expect(untyped).toEqual({ userId: 'u', event: 'x' });
  });
});
