import fc from 'fast-check';
import { eraseIdForms } from '../../../../domain/contract/erasure';
import { readDeleteMessage } from '../../../../domain/core/erasure/delete-message';
import { dueRequests } from '../../../../domain/core/erasure/due-requests';
import { eraseFromText } from '../../../../domain/core/erasure/erase-lines';
import { ErasureMatcher, mentionsId } from '../../../../domain/core/erasure/erasure-matcher';
import { erasedFilterOf, userHash } from '../../../../domain/core/erasure/user-hash';

const CUTOFF = Date.parse('2026-11-28T11:00:00.000Z');
const event = (fields: Record<string, unknown>, message: Record<string, unknown> = {}) => ({
  area: 'events',
  customer_id: 'acme',
  received_at: '2026-11-28T10:00:00.000Z',
  user_id: null,
  anonymous_id: null,
  ...fields,
  message,
});

describe('ErasureMatcher', () => {
  it('links anonymous ids by identify, by alias previousId and by any message carrying both, ever', () => {
    const m = new ErasureMatcher('acme', [{ userId: 'u1', cutoffMs: CUTOFF }]);
    m.link(event({ user_id: 'u1', anonymous_id: 'a1', received_at: '2030-01-01T00:00:00.000Z' }));
    m.link(event({ user_id: 'u1', type: 'alias' }, { previousId: 'a2' }));
    m.link(event({ user_id: 'u2', anonymous_id: 'a3' }));
    m.link({ ...event({ user_id: 'u1', anonymous_id: 'a4' }), customer_id: 'globex' });
    expect(
      m
        .linked()
        .map((l) => l.userId)
        .sort(),
    ).toEqual(['a1', 'a2']);
  });

  it('erases what Segment received up to the cut-off (its receivedAt, else ours), keeps what came after', () => {
    const m = new ErasureMatcher('acme', [{ userId: 'u1', cutoffMs: CUTOFF }]);
    expect(m.matchesEvent(event({ user_id: 'u1' }, { receivedAt: '2026-11-28T11:00:00.000Z' }))).toBe(true);
    expect(m.matchesEvent(event({ user_id: 'u1' }, { receivedAt: '2026-11-28T11:00:00.001Z' }))).toBe(false);
    // Our receive time decides when Segment's is absent.
    expect(m.matchesEvent(event({ user_id: 'u1', received_at: '2026-11-28T12:00:00.000Z' }))).toBe(false);
    expect(m.matchesEvent(event({ user_id: 'u1' }))).toBe(true);
    // Another customer's user with the same id is never matched.
    expect(m.matchesEvent({ ...event({ user_id: 'u1' }), customer_id: 'globex' })).toBe(false);
  });

  it('on a shared device erases the user and the device’s anonymous-only messages, never another user’s own', () => {
    // alice signs in on a browser (anonymous id shared), later bob signs in on the same browser.
    const m = new ErasureMatcher('acme', [{ userId: 'alice', cutoffMs: CUTOFF }]);
    m.link(event({ user_id: 'alice', anonymous_id: 'browser-1', type: 'identify' }));
    m.link(event({ user_id: 'bob', anonymous_id: 'browser-1', type: 'identify' }));
    expect(m.linked().map((l) => l.userId)).toEqual(['browser-1']);

    expect(m.matchesEvent(event({ user_id: 'alice', anonymous_id: 'browser-1' }))).toBe(true);
    // Anonymous-only on that browser: privacy first, erased.
    expect(m.matchesEvent(event({ anonymous_id: 'browser-1' }))).toBe(true);
    // bob's identify and tracks under his own userId: his, kept.
    expect(m.matchesEvent(event({ user_id: 'bob', anonymous_id: 'browser-1', type: 'identify' }))).toBe(
      false,
    );
    expect(m.matchesEvent(event({ user_id: 'bob', anonymous_id: 'browser-1', type: 'track' }))).toBe(false);
    // The same in quarantine: a message with bob's id is bob's.
    expect(
      m.matchesQuarantine({
        customer_id: 'acme',
        received_at: '2026-11-28T10:00:00.000Z',
        raw: { userId: 'bob', anonymousId: 'browser-1' },
      }),
    ).toBe(false);
    expect(
      m.matchesQuarantine({
        customer_id: 'acme',
        received_at: '2026-11-28T10:00:00.000Z',
        raw: { anonymousId: 'browser-1' },
      }),
    ).toBe(true);
  });

  it('matches quarantined messages in any id casing, and raw bodies that name the id', () => {
    const m = new ErasureMatcher('acme', [{ userId: 'u1', cutoffMs: CUTOFF }]);
    const q = (fields: Record<string, unknown>) => ({
      area: 'quarantine',
      customer_id: 'acme',
      received_at: '2026-11-28T10:00:00.000Z',
      reason: { code: 'x', message: 'x' },
      ...fields,
    });
    expect(m.matchesQuarantine(q({ raw: { USER_ID: 'u1', type: 'track' } }))).toBe(true);
    expect(m.matchesQuarantine(q({ raw_body: '{"batch":[{"userId":"u1"' }))).toBe(true);
    expect(m.matchesQuarantine(q({ raw_body: '{"batch":[{"userId":"u10"' }))).toBe(false);
    expect(m.matchesQuarantine(q({ raw: { userId: 'u2' } }))).toBe(false);
  });

  it('names a numeric id only as a whole JSON value', () => {
    expect(mentionsId('{"userId":42}', '42')).toBe(true);
    expect(mentionsId('{"userId":142,"x":4.2}', '42')).toBe(false);
    expect(mentionsId('{"userId":"42"}', '42')).toBe(true);
  });
});

describe('eraseFromText', () => {
  it('removes matching lines, rewrites Firehose error records inside rawData, and says which lines it kept', () => {
    const m = new ErasureMatcher('acme', [{ userId: 'u1', cutoffMs: CUTOFF }]);
    const keep = JSON.stringify(event({ user_id: 'u2', message_id: 'k' }));
    const drop = JSON.stringify(event({ user_id: 'u1', message_id: 'd' }));
    const text = `${keep}\n${drop}\n${keep}\n`;
    const out = eraseFromText(text, m);
    expect(out).toMatchObject({ events: 1, text: `${keep}\n${keep}\n`, keptIndexes: [0, 2] });
    expect(out.byDay.get('2026-11-28')).toEqual({ events: 1, quarantine: 0 });
    const error = JSON.stringify({
      errorCode: 'X',
      rawData: Buffer.from(`${keep}\n${drop}\n`).toString('base64'),
    });
    const rewritten = eraseFromText(`${error}\n`, m);
    expect(rewritten.events).toBe(1);
    const inner = Buffer.from(JSON.parse(rewritten.text.trim()).rawData, 'base64').toString('utf8');
    expect(inner).toBe(`${keep}\n`);
    // Nothing matched: the very same text back.
    expect(eraseFromText(text.replaceAll('"u1"', '"u3"'), m).text).toBe(text.replaceAll('"u1"', '"u3"'));
  });
});

describe('delete messages and the drop-on-arrival filter', () => {
  it('reads userId in any casing and Segment receivedAt as the cut-off; no userId is a clear refusal', () => {
    const ok = readDeleteMessage(
      { type: 'delete', userId: 507, messageId: 'd1', receivedAt: '2020-05-09T23:54:49.209Z' },
      'acme',
      '2020-05-10T00:00:00.000Z',
      '{}',
    );
    expect(ok).toEqual({
      ok: true,
      request: {
        customer_id: 'acme',
        message_id: 'd1',
        user_id: '507',
        received_at: '2020-05-10T00:00:00.000Z',
        cutoff_at: '2020-05-09T23:54:49.209Z',
      },
    });
    const bad = readDeleteMessage(
      { type: 'delete', messageId: 'd2' },
      'acme',
      '2020-05-10T00:00:00.000Z',
      '{}',
    );
    expect(bad).toMatchObject({ ok: false, messageId: 'd2', reason: expect.stringMatching(/userId/) });
  });

  it('drops a resend received before the cut-off, keeps one after, and needs the key to match', () => {
    const key = Buffer.alloc(32, 7);
    const hash = (id: string) => userHash(key, 'acme', id);
    const filter = erasedFilterOf(
      [
        {
          version: 1,
          customer_id: 'acme',
          message_id: 'd',
          status: 'done',
          user_hash: hash('u1'),
          linked_hashes: [hash('a1')],
          received_at: '2026-11-28T11:00:00.000Z',
          cutoff_at: '2026-11-28T11:00:00.000Z',
        },
      ],
      hash,
    )!;
    expect(filter('u1', null, CUTOFF)).toBe(true);
    expect(filter(null, 'a1', CUTOFF - 1)).toBe(true);
    expect(filter('u1', null, CUTOFF + 1)).toBe(false);
    expect(filter('u2', null, CUTOFF)).toBe(false);
    // A shared device: another user's resend carrying the linked anonymous id is theirs, kept.
    expect(filter('u2', 'a1', CUTOFF - 1)).toBe(false);
    expect(filter('u1', 'a9', CUTOFF - 1)).toBe(true);
    expect(userHash(key, 'globex', 'u1')).not.toBe(hash('u1'));
    expect(erasedFilterOf([], hash)).toBeUndefined();
  });
});

describe('which requests are due', () => {
  const entry = (customer: string, id: string, receivedAt: string) => ({
    version: 1 as const,
    customer_id: customer,
    message_id: id,
    status: 'pending' as const,
    user_id: 'u',
    user_hash: 'h',
    received_at: receivedAt,
    cutoff_at: receivedAt,
  });
  it('takes all of a customer’s pending requests once its oldest has waited a third of the window', () => {
    const entries = [
      entry('acme', 'd1', '2026-11-28T00:00:00.000Z'),
      entry('acme', 'd2', '2026-11-28T23:00:00.000Z'),
      entry('globex', 'd3', '2026-11-28T12:00:00.000Z'),
      { ...entry('initech', 'd4', '2026-11-01T00:00:00.000Z'), status: 'done' as const },
    ];
    const at = Date.parse('2026-11-29T00:00:00.000Z');
    const due = dueRequests(entries, at, 72);
    expect([...due.keys()]).toEqual(['acme']);
    expect(due.get('acme')!.map((e) => e.message_id)).toEqual(['d1', 'd2']);
    expect([...dueRequests(entries, at, 72, { all: true }).keys()]).toEqual(['acme', 'globex']);
    expect([...dueRequests(entries, at, 72, { all: true, customerId: 'globex' }).keys()]).toEqual(['globex']);
  });
});

describe('the forms an erase looks for in kept texts (the quarantine objects query on AWS)', () => {
  // Ids with quotes, backslashes, control characters, accents and emoji: written by a client as JSON
  // (as is, or with every non-ASCII character escaped), a text that names the id holds one of its forms.
  const ids = fc
    .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
    .chain((plain) => fc.constantFrom(plain, `${plain}"\\`, `\u0001${plain}`, `é${plain}😀`));

  it('finds every id the matcher finds, however the client escaped it', () => {
    fc.assert(
      fc.property(ids, (id) => {
        const asJson = JSON.stringify({ userId: id });
        const asciiOnly = asJson.replace(
          /[\u0080-\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        );
        for (const text of [asJson, asciiOnly]) {
          // The matcher reads the body as JSON, so either text names the id for it.
          expect(JSON.parse(text).userId).toBe(id);
          expect(eraseIdForms(id).some((form) => text.includes(form))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
