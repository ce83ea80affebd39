import type { StoredQuarantineEntry } from '../../../domain/contract/lake-records';
import { revalidate } from '../../../scripts/redrive/error-records';

// A message posted to `/v1/track` without a `type` got its type from the route; redrive restores it once
// it validates, whether its quarantine entry kept the route's type (this release) or not (the last one).

const aliases = new Map<string, string>();
const entry = (
  raw: Record<string, unknown>,
  more: Partial<StoredQuarantineEntry> = {},
): StoredQuarantineEntry => ({
  schema_version: 1,
  area: 'quarantine',
  customer_id: 'acme',
  dt: '2026-12-01',
  received_at: '2026-12-01T10:00:00.000Z',
  request_id: 'req-1',
  index: 0,
  message_id: (raw.messageId as string | undefined) ?? null,
  reason: { code: 'invalid_field', message: 'was wrong then' },
  raw,
  ...more,
});
const eventOf = (line: ReturnType<typeof revalidate>) =>
  line ? (JSON.parse(`${line.json}${line.message}}`) as Record<string, unknown>) : undefined;

describe('redrive of a message whose type came from its route', () => {
  it('restores it with the type its entry kept', () => {
    const raw = { name: 'Pricing', userId: 'u1', messageId: 'p-1' };

    expect(eventOf(revalidate(entry(raw, { route_type: 'page' }), aliases, 'redrive-1'))).toMatchObject({
      type: 'page',
      message_id: 'p-1',
    });
    // Without it the message has no type and stays in quarantine.
    expect(revalidate(entry(raw), aliases, 'redrive-1')).toBeUndefined();
  });

  it('infers track, alias and group for entries of the last release, and nothing from a missing_type entry', () => {
    const track = { event: 'Signed Up', userId: 'u1', messageId: 't-1' };

    expect(eventOf(revalidate(entry(track), aliases, 'r'))).toMatchObject({
      type: 'track',
      event: 'Signed Up',
    });
    expect(
      eventOf(revalidate(entry({ previousId: 'a', userId: 'u1', messageId: 'a-1' }), aliases, 'r')),
    ).toMatchObject({ type: 'alias' });
    expect(
      eventOf(revalidate(entry({ groupId: 'g', userId: 'u1', messageId: 'g-1' }), aliases, 'r')),
    ).toMatchObject({ type: 'group' });
    const missingType = entry(track, { reason: { code: 'missing_type', message: 'no type' } });
    expect(revalidate(missingType, aliases, 'r')).toBeUndefined();
  });
});
