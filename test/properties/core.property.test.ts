import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { silentLogger } from '../../adapters/system/json-logger';
import { IngestError, InternalError } from '../../domain/core/common/errors';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { parseBody } from '../../domain/core/ingest/parse-body';
import { prepareMessages } from '../../domain/core/ingest/prepare-messages';
import type { SegmentMessage } from '../../domain/core/messages/message-schema';
import { compileAliases, normalizeEventName } from '../../domain/core/messages/normalize-event-name';
import { normalizeMessage } from '../../domain/core/messages/normalize-message';
import { validateMessage } from '../../domain/core/messages/validate-message';
import { createFakeClock } from '../support/factories';
import { MemorySink } from '../support/memory/memory-sink';

// A fixed seed keeps CI repeatable; FC_SEED=<n> explores other inputs (a failure prints its seed).
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261128) });
const RUNS = { numRuns: 300 };
const limits = { ...DEFAULT_LIMITS, maxBodyBytes: 256 * 1024, maxInflatedBytes: 1024 * 1024 };
const deps = () => ({
  sink: new MemorySink(),
  clock: createFakeClock(),
  retry: { budgetMs: 100, baseDelayMs: 1, maxDelayMs: 10, retryAfterSeconds: 1, throttleBudgetMs: 100 },
  limits,
  logger: silentLogger,
});
const request = (body: string, isBase64Encoded = false, contentEncoding?: string) => ({
  body,
  isBase64Encoded,
  contentEncoding,
  customerId: 'acme',
  requestId: 'req-property',
  aliases: new Map<string, string>(),
});

/** Either an answer, or one of our errors that is not an internal failure: never an unexpected throw. */
async function outcome(run: () => Promise<{ statusCode: number }>): Promise<number> {
  try {
    return (await run()).statusCode;
  } catch (error) {
    if (!(error instanceof IngestError) || error instanceof InternalError) throw error;
    return error.status;
  }
}

// Messages that are sometimes valid: the interesting region for "exactly one place".
const messageish = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias', 'Track', 'launch', ''),
      userId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      anonymousId: fc.string(),
      messageId: fc.constantFrom('a', 'b', 'c', 'd'),
      event: fc.string(),
      groupId: fc.string(),
      previousId: fc.string(),
      timestamp: fc.oneof(
        fc
          .date({ noInvalidDate: true, min: new Date('1990-01-01'), max: new Date('2090-01-01') })
          .map((d) => d.toISOString()),
        fc.string(),
      ),
      properties: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);

describe('the core, for any input', () => {
  it('answers any JSON body within the closed error set, never with an unexpected throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const status = await outcome(() => ingestRequest(request(JSON.stringify(value) ?? ''), deps()));
        expect([200, 400, 413, 501]).toContain(status);
      }),
      RUNS,
    );
  });

  it('answers any bytes, plain, base64 or claimed gzip, within the closed error set', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.constantFrom(undefined, 'gzip', 'deflate', 'br'),
        fc.boolean(),
        async (bytes, encoding, wrap) => {
          const body = wrap && encoding === 'gzip' ? gzipSync(bytes) : Buffer.from(bytes);
          const status = await outcome(() =>
            ingestRequest(request(body.toString('base64'), true, encoding), deps()),
          );
          expect([200, 400, 413, 501]).toContain(status);
        },
      ),
      RUNS,
    );
  });

  it('puts every message of a request in exactly one place: events (once per messageId) or quarantine', () => {
    fc.assert(
      fc.property(fc.array(messageish, { minLength: 1, maxLength: 30 }), (messages) => {
        const prepared = prepareMessages(parseBody(JSON.stringify(messages), limits), {
          customerId: 'acme',
          requestId: 'req-property',
          receivedAt: Date.UTC(2026, 10, 28),
          aliases: new Map(),
          maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
        });

        expect(prepared.events.length + prepared.quarantine.length + prepared.duplicates).toBe(
          messages.length,
        );
        expect(new Set(prepared.events.map((e) => e.message_id)).size).toBe(prepared.events.length);
        const quarantinedIndexes = prepared.quarantine.map((q) => q.index);
        expect(new Set(quarantinedIndexes).size).toBe(quarantinedIndexes.length);
      }),
      RUNS,
    );
  });

  it('changes nothing when normalizing an already normalized message again', () => {
    fc.assert(
      fc.property(messageish, (raw) => {
        const first = validateMessage(raw, 0, DEFAULT_LIMITS.maxMessageBytes);
        fc.pre(first.ok);
        if (!first.ok) return;
        const ctx = {
          customerId: 'acme',
          requestId: 'req-property',
          receivedAt: Date.UTC(2026, 10, 28),
          aliases: new Map<string, string>(),
        };
        const once = normalizeMessage(first.message, first.fields, ctx);
        const again = validateMessage(
          { ...first.fields, ...(once.event ? { event: once.event } : {}), timestamp: once.timestamp },
          0,
          DEFAULT_LIMITS.maxMessageBytes,
        );
        if (!again.ok) throw new Error('a normalized message must stay valid');
        const twice = normalizeMessage(again.message as SegmentMessage, again.fields, ctx);

        expect([twice.event, twice.event_key, twice.timestamp, twice.dt, twice.type]).toEqual([
          once.event,
          once.event_key,
          once.timestamp,
          once.dt,
          once.type,
        ]);
      }),
      RUNS,
    );
  });
});

describe('event-name folding', () => {
  // Words of two or more characters: a one-letter word in camelCase (`aAA`) is ambiguous to anyone.
  const word = fc.stringMatching(/^[a-z][a-z0-9]{1,7}$/);
  const styles: ((words: string[]) => string)[] = [
    (w) => w.join('_'),
    (w) => w.join('-'),
    (w) => w.join(' '),
    (w) => w.map((x) => x[0]!.toUpperCase() + x.slice(1)).join(' '),
    (w) => w.join(' ').toUpperCase(),
    (w) => w.join('_').toUpperCase(),
    (w) =>
      w[0] +
      w
        .slice(1)
        .map((x) => x[0]!.toUpperCase() + x.slice(1))
        .join(''),
    (w) => ` ${w.join('  .  ')} `,
  ];

  it('gives every spelling of the same words the same name and key', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), (words) => {
        const names = styles.map((style) => normalizeEventName(style(words)));
        expect(new Set(names.map((n) => n.canonical)).size).toBe(1);
        expect(new Set(names.map((n) => n.key)).size).toBe(1);
      }),
      RUNS,
    );
  });

  it('is idempotent for any string and any aliases', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.string()), (raw, aliases) => {
        const compiled = compileAliases(aliases);
        const once = normalizeEventName(raw, compiled);
        expect(normalizeEventName(once.canonical, compiled)).toEqual(once);
      }),
      RUNS,
    );
  });
});
