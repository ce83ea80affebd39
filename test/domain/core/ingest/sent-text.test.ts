import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../../../../domain/core/ingest/limits';
import { parseBody } from '../../../../domain/core/ingest/parse-body';
import { type PreparedMessages, prepareMessages } from '../../../../domain/core/ingest/prepare-messages';
import { membersOf, sentTexts } from '../../../../domain/core/ingest/sent-text';
import { eventLines } from '../../../../domain/core/lake/lake-lines';
import { FIREHOSE_MAX_RECORD_BYTES, packRecords } from '../../../../domain/core/lake/pack-records';
import { canonicalMessage } from '../../../../domain/core/messages/validate-message';

// An event's lake line as the packer writes it: its head, then its message, without the newline.
const lineOf = (prepared: PreparedMessages, i: number): string =>
  packRecords([eventLines(prepared)[i]!], FIREHOSE_MAX_RECORD_BYTES)[0]!
    .data.toString('utf8')
    .slice(0, -1);

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261203) });

const texts = (body: string, shape: 'single' | 'batch' = 'batch') =>
  sentTexts(body, shape)?.map((t) => t?.text);

describe('sentTexts', () => {
  it('finds the messages of each body shape Segment clients send', () => {
    expect(texts('{"sentAt":"x","batch":[{"a":1},{"b":[2,{"c":3}]}],"writeKey":"k"}')).toEqual([
      '{"a":1}',
      '{"b":[2,{"c":3}]}',
    ]);
    expect(texts('[{"a":1}, {"b":2}]')).toEqual(['{"a":1}', '{"b":2}']);
    expect(texts(' {"type":"track","context":{"x":[]}} ', 'single')).toEqual([
      '{"type":"track","context":{"x":[]}}',
    ]);
    expect(texts('{}', 'single')).toEqual(['{}']);
    expect(texts('[]')).toEqual([]);
  });

  it('is not fooled by brackets, quotes and backslashes inside strings', () => {
    const message = '{"a":"}],{\\"batch\\":[","b":"\\\\","c":"\\\\\\"}"}';
    expect(JSON.parse(message)).toEqual({ a: '}],{"batch":[', b: '\\', c: '\\"}' });

    expect(texts(`{"batch":[${message},{"d":"]"}]}`)).toEqual([message, '{"d":"]"}']);
  });

  it('takes the last batch key, as JSON.parse does, and gives up on a key written with escapes', () => {
    expect(texts('{"batch":[{"old":1}],"batch":[{"new":2}]}')).toEqual(['{"new":2}']);
    expect(JSON.parse('{"b\\u0061tch":[{"a":1}]}')).toEqual({ batch: [{ a: 1 }] });

    expect(sentTexts('{"b\\u0061tch":[{"a":1}]}', 'batch')).toBeUndefined();
  });

  it('marks elements that are not objects or arrays, and text that is not JSON', () => {
    expect(texts('[1,"two",null,true,{"x":-1.5}]')).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      '{"x":-1.5}',
    ]);
    // It expects text JSON.parse accepted; text cut short is still noticed, never read past its end.
    for (const broken of ['', '{"batch":[{"a":1}', '{"a":"open', '42', '{"a":{"b":1}'])
      for (const shape of ['single', 'batch'] as const) expect(sentTexts(broken, shape)).toBeUndefined();
    // A body of the other shape than parseBody found is not guessed at either.
    expect(sentTexts('{"a":1}', 'batch')).toBeUndefined();
    expect(sentTexts('[{"a":1}]', 'single')).toBeUndefined();
  });

  it('counts members and depth, and says when the text is not as JSON.stringify writes it', () => {
    const [flat] = sentTexts('[{"a":{"b":[{"c":1,"d":true}]},"e":null}]', 'batch')!;
    expect(flat).toMatchObject({ members: 5, depth: 4, exact: true });

    const inexact = [
      '{"a": 1}',
      '{"a":1}\n'.trim().replace(':', ':\n'),
      '{"a":1e3}',
      '{"a":12345678901234567}',
    ];
    for (const text of inexact) expect(sentTexts(text, 'single')?.[0]?.exact).toBe(false);
    for (const text of ['{"a":-0.5}', '{"a":[true,false,null]}', '{"a":"x y\\n"}', '{"a":123456789012345}'])
      expect(sentTexts(text, 'single')?.[0]?.exact).toBe(true);
  });

  it('finds, in any body JSON.stringify writes (spaced or not), texts that parse to the messages', () => {
    const limits = { ...DEFAULT_LIMITS, maxMessagesPerRequest: 100 };
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()), { maxLength: 8 }),
        fc.constantFrom(0, 1, '\t'),
        fc.constantFrom('single', 'array', 'envelope'),
        (generated, space, form) => {
          const value =
            form === 'single'
              ? generated[0]
              : form === 'array'
                ? generated
                : { sentAt: 'x', batch: generated };
          const body = JSON.stringify(value, null, space);
          let parsed: ReturnType<typeof parseBody>;
          try {
            parsed = parseBody(body ?? '', limits);
          } catch {
            return; // not a body the core reads on: an empty batch, a bare number
          }
          const found = sentTexts(body, parsed.shape);

          expect(found).toHaveLength(parsed.messages.length);
          found!.forEach((sent, i) => {
            const message = parsed.messages[i];
            if (message === null || typeof message !== 'object') expect(sent).toBeUndefined();
            else {
              expect(JSON.parse(sent!.text)).toEqual(message);
              if (sent!.exact) {
                expect(sent!.text).toBe(JSON.stringify(message));
                expect(sent!.members).toBe(membersOf(message));
              }
            }
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('a lake line stores the message as sent only when that is exactly the stored message', () => {
  const prepare = (body: string, routeType?: string) =>
    prepareMessages(parseBody(body, DEFAULT_LIMITS), {
      customerId: 'acme',
      requestId: 'req-1',
      receivedAt: Date.UTC(2026, 10, 28, 10),
      aliases: new Map(),
      maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
      routeType,
    });
  const storedMessage = (line: string) => {
    expect(line).not.toContain('\n');
    return JSON.parse(line).message;
  };
  const track = { type: 'track', messageId: 'm1', userId: 'u1', event: 'Signed Up' };

  it('stores a compact message byte for byte as sent', () => {
    const message = JSON.stringify({ ...track, properties: { plan: 'pro', seats: 3 } });

    expect(lineOf(prepare(`{"batch":[${message}]}`), 0)).toContain(`"message":${message}}`);
  });

  it.each([
    [
      'a repeated key (the last one counts)',
      '{"type":"track","messageId":"m1","userId":"ghost","userId":"u1","event":"x"}',
    ],
    [
      'a repeated nested key',
      '{"type":"track","messageId":"m1","userId":"u1","event":"x","context":{"ip":"1","ip":"2"}}',
    ],
    [
      'line breaks between tokens',
      '{\n"type": "track",\n"messageId": "m1",\n"userId": "u1",\n"event": "x"\n}',
    ],
    [
      'a number a double cannot hold',
      '{"type":"track","messageId":"m1","userId":"u1","event":"x","n":1e400}',
    ],
    ['a renamed field', '{"type":"track","messageId":"m1","user_id":"u1","event":"x"}'],
    ['a type in capitals', '{"type":"Track","messageId":"m1","userId":"u1","event":"x"}'],
    ['no messageId', '{"type":"track","userId":"u1","event":"x"}'],
  ])('serializes the canonical message instead for %s', (_, text) => {
    const prepared = prepare(`[${text}]`);

    const serialized = JSON.stringify(canonicalMessage(JSON.parse(text)));

    expect(prepared.events).toHaveLength(1);
    expect(lineOf(prepared, 0)).toContain(`"message":${serialized}}`);
    expect(storedMessage(lineOf(prepared, 0))).toEqual(JSON.parse(serialized));
  });

  it('fills in the route’s type rather than storing the message without one', () => {
    const prepared = prepare('{"messageId":"m1","userId":"u1","event":"x"}', 'track');

    expect(storedMessage(lineOf(prepared, 0))).toEqual({
      messageId: 'm1',
      userId: 'u1',
      event: 'x',
      type: 'track',
    });
  });

  it('gives a message without a messageId the same id however it was spaced', () => {
    const message = { type: 'track', userId: 'u1', event: 'x' };
    const compact = prepare(JSON.stringify([message])).events[0]!;
    const spaced = prepare(JSON.stringify([message], null, 2)).events[0]!;

    expect(compact.message_id_generated).toBe(true);
    expect(spaced.message_id).toBe(compact.message_id);
  });

  it('stores, for any batch in any spacing, with keys repeated anywhere, what the parsed message means', () => {
    const message = fc.record(
      {
        type: fc.constantFrom('track', 'Track', 'identify', 'page'),
        messageId: fc.string({ minLength: 1 }),
        userId: fc.string({ minLength: 1 }),
        user_id: fc.string(),
        event: fc.string({ minLength: 1 }),
        timestamp: fc.constant('2026-11-28T09:00:00.000Z'),
        properties: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        context: fc.record({ ip: fc.string(), page: fc.record({ url: fc.string() }) }),
      },
      { requiredKeys: ['type', 'userId', 'event'] },
    );
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        fc.constantFrom(0, 2),
        fc.array(fc.nat(), { maxLength: 3 }),
        (messages, space, repeats) => {
          let body = JSON.stringify({ batch: messages }, null, space);
          // Repeat a key: a decoy value before an object's first key, which JSON.parse then overwrites.
          for (const at of repeats) {
            const objects = [...body.matchAll(/\{"(\w+)":/g)];
            const object = objects[at % Math.max(1, objects.length)];
            if (!object || object.index === undefined) continue;
            const open = object.index + 1;
            body = `${body.slice(0, open)}"${object[1]}":"decoy",${body.slice(open)}`;
          }
          const parsed = parseBody(body, DEFAULT_LIMITS);
          const prepared = prepareMessages(parsed, {
            customerId: 'acme',
            requestId: 'req-1',
            receivedAt: Date.UTC(2026, 10, 28, 10),
            aliases: new Map(),
            maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
          });

          prepared.events.forEach((event, i) => {
            const raw = parsed.messages.find(
              (m) => (m as { messageId?: string }).messageId === event.message_id,
            );
            const expected = JSON.parse(JSON.stringify(canonicalMessage(raw ?? parsed.messages[i])));
            expect(storedMessage(lineOf(prepared, i))).toEqual(expected);
            expect(lineOf(prepared, i)).not.toContain('"decoy"');
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
