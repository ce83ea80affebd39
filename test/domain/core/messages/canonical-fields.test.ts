import { canonicalizeFields } from '../../../../domain/core/messages/canonical-fields';

describe('canonicalizeFields', () => {
  it('renames the common fields in any casing and keeps the rest as sent', () => {
    expect(
      canonicalizeFields({ User_Id: 'u', ANONYMOUS_ID: 'a', 'message-id': 'm', custom_field: 1 }),
    ).toEqual({
      userId: 'u',
      anonymousId: 'a',
      messageId: 'm',
      custom_field: 1,
    });
  });

  it('lets the canonical spelling win and keeps the others under their own names', () => {
    expect(canonicalizeFields({ user_id: 'a', userId: 'b', UserId: 'c' })).toEqual({
      userId: 'b',
      user_id: 'a',
      UserId: 'c',
    });
  });

  it('returns the message itself when no key needs renaming, and never changes the message', () => {
    const canonical = { userId: 'u', event: 'x', custom_field: 1 };
    const sent = { user_id: 'u', event: 'x' };

    expect(canonicalizeFields(canonical)).toBe(canonical);
    expect(canonicalizeFields(sent)).not.toBe(sent);
    expect(sent).toEqual({ user_id: 'u', event: 'x' });
  });
});
