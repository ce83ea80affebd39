import type { PackedRecord } from '../../../../domain/core/common/ports';
import { LIVE_LIMITS, LiveView, UNKNOWN_CUSTOMER } from '../../../../domain/core/console/live-view';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');

/** A stored record of `lines` lake lines, as the sink acknowledges it. */
function record(customerId: string, area: 'events' | 'quarantine' | 'ledger', lines: object[]): PackedRecord {
  const data = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n'));
  return {
    area,
    customerId,
    dt: '2026-12-07',
    partitionKey: customerId,
    data,
    bytes: data.length,
    count: lines.length,
  };
}
const event = (
  messageId: string,
  userId: string | null,
  anonymousId: string | null = null,
  extra: object = {},
) => ({
  area: 'events',
  message_id: messageId,
  user_id: userId,
  anonymous_id: anonymousId,
  type: 'track',
  event: 'Signed Up',
  received_at: '2026-12-07T10:00:00.000Z',
  violations: [],
  message: { messageId, userId, anonymousId, event: 'Signed Up' },
  ...extra,
});

describe('the console’s live view', () => {
  it('counts events, quarantined messages and refusals per customer per minute, over 30 minutes', () => {
    const live = new LiveView();
    live.stored([record('acme', 'events', [event('m1', 'u1'), event('m2', 'u2')])], T0);
    live.stored(
      [
        record('acme', 'quarantine', [
          {
            area: 'quarantine',
            message_id: 'q1',
            reason: { code: 'missing_field', message: 'no event' },
            raw: { userId: 'u3' },
          },
        ]),
      ],
      T0 + 1_000,
    );
    live.stored([record('acme', 'ledger', [{ area: 'ledger' }])], T0 + 1_000);
    live.refused('acme', T0 + 61_000);
    live.refused(undefined, T0 + 61_000);

    const [unknown, acme] = live.overview(T0 + 61_000);
    expect(unknown!.customerId === UNKNOWN_CUSTOMER || acme!.customerId === UNKNOWN_CUSTOMER).toBe(true);
    const row = live.overview(T0 + 61_000).find((r) => r.customerId === 'acme')!;
    expect(row.minutes).toHaveLength(LIVE_LIMITS.minutes);
    expect(row.minutes.at(-2)).toMatchObject({ minute: T0, events: 2, quarantined: 1, refused: 0 });
    expect(row.minutes.at(-1)).toMatchObject({ events: 0, refused: 1 });
    expect(row.totals).toEqual({ events: 2, quarantined: 1, refused: 1 });
    // Thirty-one minutes later the first minute has left the window.
    expect(
      live
        .overview(T0 + 31 * 60_000)
        .find((r) => r.customerId === 'acme')!
        .minutes.some((m) => m.events > 0),
    ).toBe(false);
  });

  it('keeps the latest messages, searchable, with quarantine reasons and violations and their examples', () => {
    const live = new LiveView();
    live.stored(
      [
        record('acme', 'events', [
          event('m1', 'alice'),
          event('m2', null, 'anon-7', {
            violations: [{ rule: 'unplanned_event', path: 'event', message: 'not in the plan' }],
          }),
        ]),
        record('acme', 'quarantine', [
          {
            area: 'quarantine',
            message_id: 'q1',
            reason: { code: 'too_large', message: 'over 32 KB' },
            raw_body: '{"x"',
          },
        ]),
      ],
      T0,
    );
    const detail = live.detail('acme', T0);
    expect(detail.messages.map((m) => m.messageId)).toEqual(['q1', 'm2', 'm1']);
    expect(live.detail('acme', T0, 'ALICE').messages.map((m) => m.messageId)).toEqual(['m1']);
    expect(live.detail('acme', T0, 'anon-7').messages.map((m) => m.messageId)).toEqual(['m2']);
    expect(detail.quarantineReasons).toEqual([
      { code: 'too_large', count: 1, examples: [expect.objectContaining({ messageId: 'q1' })] },
    ]);
    expect(detail.violations).toEqual([
      { rule: 'unplanned_event', count: 1, examples: [expect.objectContaining({ messageId: 'm2' })] },
    ]);
    expect(detail.messages[0]!.sent).toBe('{"x"');
    expect(live.detail('nobody', T0).messages).toEqual([]);
  });

  it('forgets a deleted user at once, with the anonymous ids seen with them, and no one else', () => {
    const live = new LiveView();
    live.stored(
      [
        record('acme', 'events', [
          event('m1', 'alice', 'device-1'),
          event('m2', null, 'device-1'),
          event('m3', 'bob', 'device-2'),
        ]),
        record('other', 'events', [event('m4', 'alice')]),
      ],
      T0,
    );
    live.forget('acme', ['alice']);
    expect(live.detail('acme', T0).messages.map((m) => m.messageId)).toEqual(['m3']);
    // Another customer's alice is another person.
    expect(live.detail('other', T0).messages.map((m) => m.messageId)).toEqual(['m4']);
  });

  it('stays within its bounds: lines parsed a second, messages held, their size, customers followed', () => {
    const limits = {
      ...LIVE_LIMITS,
      parsedLinesPerSecond: 10,
      messages: 25,
      messageChars: 100,
      customers: 3,
    };
    const live = new LiveView(limits);
    const many = Array.from({ length: 50 }, (_, i) =>
      event(`m${i}`, `u${i}`, null, { padding: 'x'.repeat(500) }),
    );
    live.stored([record('acme', 'events', many)], T0);
    // Every event counted, ten parsed and held, each cut.
    expect(live.overview(T0)[0]!.totals.events).toBe(50);
    expect(live.detail('acme', T0).messages).toHaveLength(10);
    expect(live.detail('acme', T0).messages[0]!.record.length).toBeLessThanOrEqual(100 + '… (cut)'.length);
    // The next second, ten more; never more than 25 in all.
    for (let s = 1; s <= 3; s++) live.stored([record('acme', 'events', many)], T0 + s * 1_000);
    expect(live.detail('acme', T0 + 3_000).messages).toHaveLength(25);
    // A fourth customer pushes out the one seen longest ago, and its messages.
    for (const c of ['b', 'c', 'd']) live.stored([record(c, 'events', [event(`${c}1`, 'u')])], T0 + 10_000);
    expect(
      live
        .overview(T0 + 10_000)
        .map((r) => r.customerId)
        .sort(),
    ).toEqual(['b', 'c', 'd']);
    expect(live.detail('acme', T0 + 10_000).overview).toBeUndefined();
  });

  it('tells listeners of each message it holds', () => {
    const live = new LiveView();
    const seen: string[] = [];
    const stop = live.onMessage((m) => seen.push(m.messageId ?? ''));
    live.stored([record('acme', 'events', [event('m1', 'u')])], T0);
    stop();
    live.stored([record('acme', 'events', [event('m2', 'u')])], T0);
    expect(seen).toEqual(['m1']);
  });
});
