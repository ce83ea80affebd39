import fc from 'fast-check';
import { decodeSpoolSegment, encodeSpoolRecord } from '../../adapters/local/spool-format';
import { silentLogger } from '../../adapters/system/json-logger';
import { sliceText, wellFormedValue } from '../../domain/core/common/unicode-text';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { REPLACED_TEXT_RULE } from '../../domain/core/ingest/prepare-messages';
import { createFakeClock } from '../support/factories';
import { MemorySink } from '../support/memory/memory-sink';

// No line we write holds text a reader refuses: a lone UTF-16 surrogate (`"\ud800"`) anywhere in what a
// sender sends is replaced with U+FFFD before any writer sees it, and no cut of a text splits a pair.

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });
const RUNS = { numRuns: 200 };

const HIGH = fc.integer({ min: 0xd800, max: 0xdbff }).map((c) => String.fromCharCode(c));
const LOW = fc.integer({ min: 0xdc00, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Text mixing plain characters, whole pairs, and lone halves of pairs. */
const oddText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 4 }),
      HIGH,
      LOW,
      fc.constant('😀'),
      fc.tuple(LOW, HIGH).map(([a, b]) => a + b),
      fc.constant('\u0000"\\'),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(''));

const message = fc.record({
  type: fc.constantFrom('track', 'identify', 'page', 'alias', 'group', 'delete', 'launch', undefined),
  messageId: fc.oneof(
    oddText,
    fc.string({ minLength: 250, maxLength: 260 }).map((s) => `${s}\ud83d\ude00`),
  ),
  userId: fc.oneof(oddText, fc.constant(undefined)),
  anonymousId: fc.oneof(oddText, fc.constant(undefined)),
  event: oddText,
  previousId: oddText,
  groupId: oddText,
  timestamp: fc.oneof(fc.constant('2026-12-01T10:00:00.000Z'), oddText),
  properties: fc.dictionary(oddText, fc.oneof(oddText, fc.array(oddText, { maxLength: 3 })), { maxKeys: 4 }),
  context: fc.record({ traits: fc.dictionary(oddText, oddText, { maxKeys: 2 }) }),
});

/** Every string and key in a parsed value, at any depth. */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) texts(item, out);
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      texts(item, out);
    }
  return out;
}

/** A line is readable when its text and every string JSON.parse makes of it are Unicode. */
function expectReadable(line: string): void {
  expect(line.isWellFormed()).toBe(true);
  // A line a reader parses: a nested JSON text (a message kept as text) is looked into too.
  for (const text of texts(JSON.parse(line))) {
    expect(text.isWellFormed()).toBe(true);
  }
}

async function ingest(body: string, routeType?: string) {
  const sink = new MemorySink(64 * 1024);
  const answer = await ingestRequest(
    {
      body,
      isBase64Encoded: false,
      customerId: 'acme',
      requestId: 'req-odd-text',
      aliases: new Map(),
      routeType,
    },
    {
      sink,
      clock: createFakeClock(),
      retry: { budgetMs: 100, baseDelayMs: 1, maxDelayMs: 10, retryAfterSeconds: 1, throttleBudgetMs: 100 },
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
      erasures: { record: async () => undefined } as never,
    },
  ).catch((error: { status?: number }) => ({ statusCode: error.status ?? 500 }));
  return { sink, answer };
}

describe('text every reader accepts', () => {
  it('sliceText never ends on the high half of a pair and is a prefix of the text', () => {
    fc.assert(
      fc.property(oddText, fc.nat({ max: 40 }), (text, max) => {
        const cut = sliceText(text, max);
        expect(text.startsWith(cut)).toBe(true);
        expect(cut.length).toBeGreaterThanOrEqual(Math.min(text.length, max) - 1);
        if (text.isWellFormed()) expect(cut.isWellFormed()).toBe(true);
      }),
      RUNS,
    );
  });

  it('wellFormedValue leaves Unicode alone (the same object) and repairs every lone surrogate', () => {
    fc.assert(
      fc.property(message, (value) => {
        const made = wellFormedValue(value, 10);
        for (const text of texts(made.value)) expect(text.isWellFormed()).toBe(true);
        const wasUnicode = texts(value).every((t) => t.isWellFormed());
        expect(made.replaced.length === 0).toBe(wasUnicode);
        if (wasUnicode) expect(made.value).toBe(value);
      }),
      RUNS,
    );
  });

  it('keeps a key named __proto__ a key when it repairs the object around it', () => {
    const value = JSON.parse('{"__proto__":{"a":1},"b":"\\ud800"}') as Record<string, unknown>;
    const made = wellFormedValue(value, 4).value as Record<string, unknown>;

    expect(Object.keys(made)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(made.b).toBe('\ufffd');
  });

  it('every event, quarantine and ledger line of any batch, and every spool record of it, is readable', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(undefined, 'track'),
        async (batch, routeType) => {
          // JSON.stringify writes each lone surrogate as an escape: the text as a sender's library sends it.
          const { sink } = await ingest(JSON.stringify({ batch }), routeType);
          for (const record of sink.acknowledged) {
            for (const line of record.data.toString('utf8').split('\n').filter(Boolean)) expectReadable(line);
            const spooled = decodeSpoolSegment(encodeSpoolRecord({ ...record, data: record.data }));
            for (const line of spooled.records[0]!.data.toString('utf8').split('\n').filter(Boolean))
              expectReadable(line);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('an unreadable body with lone surrogates is kept readable, cut without splitting a pair', async () => {
    const body = `{"batch":[${'😀'.repeat(140_000)}\ud800 not json`;
    const { sink } = await ingest(body);
    const [entry] = sink.lines('quarantine');

    expect(entry).toMatchObject({ reason: { code: 'unreadable_body' } });
    for (const record of sink.acknowledged)
      for (const line of record.data.toString('utf8').split('\n').filter(Boolean)) expectReadable(line);
  });

  it('lands the event with U+FFFD in place of the lone surrogate, flagged where it was', async () => {
    const body =
      '{"batch":[{"type":"track","event":"Signed Up","userId":"\\ud800","messageId":"surr-1","properties":{"n\\udfff":"ok"}}]}';
    const { sink, answer } = await ingest(body);
    const [event] = sink.lines('events');

    expect(answer.statusCode).toBe(200);
    expect(event).toMatchObject({
      message_id: 'surr-1',
      user_id: '\ufffd',
      message: { userId: '\ufffd', properties: { 'n\ufffd': 'ok' } },
      violations: [
        { path: 'userId', rule: REPLACED_TEXT_RULE },
        { path: 'properties.n\ufffd', rule: REPLACED_TEXT_RULE },
      ],
    });
  });

  it('repairs a lone surrogate a body string holds as it is (not escaped), as a Lambda event may hand it over', async () => {
    const { sink, answer } = await ingest(
      `{"type":"track","event":"E","userId":"u\ud800","messageId":"raw-1"}`,
    );

    expect(answer.statusCode).toBe(200);
    expect(sink.lines('events')[0]).toMatchObject({ user_id: 'u\ufffd' });
  });

  it('keeps the type the route gave a quarantined message, for redrive', async () => {
    const { sink } = await ingest('{"event":"Signed Up","messageId":"no-id-1"}', 'track');

    expect(sink.lines('quarantine')[0]).toMatchObject({
      reason: { code: 'missing_identity' },
      route_type: 'track',
    });
  });
});
