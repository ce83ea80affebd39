import { gzipSync } from 'node:zlib';
import { MemorySink } from '../../lambdas/adapters/memory/memory-sink';
import type { RetryPolicy } from '../../lambdas/core/ingest/deliver';
import { DEFAULT_LIMITS } from '../../lambdas/core/ingest/limits';
import type { Logger, RecordSink } from '../../lambdas/core/shared/ports';
import { createIngestHandler } from '../../lambdas/ingest/create-ingest-handler';
import {
  createFakeClock,
  createIdentifyMessage,
  createIngestEvent,
  createTrackMessage,
  lambdaContext,
} from '../support/factories';

const retry: RetryPolicy = { budgetMs: 2_000, baseDelayMs: 50, maxDelayMs: 500, retryAfterSeconds: 30 };

function setup(sink: RecordSink = new MemorySink()) {
  const logs: string[] = [];
  const logger: Logger = {
    info: (m, f) => logs.push(JSON.stringify({ m, ...f })),
    warn: (m, f) => logs.push(JSON.stringify({ m, ...f })),
    error: (m, f) => logs.push(JSON.stringify({ m, ...f })),
  };
  const handler = createIngestHandler({
    sink,
    clock: createFakeClock(),
    retry,
    limits: DEFAULT_LIMITS,
    logger,
  });
  return {
    handler,
    logs,
    invoke: (event: ReturnType<typeof createIngestEvent>) => handler(event, lambdaContext),
  };
}

const json = (answer: { body: string }) => JSON.parse(answer.body);

describe('ingest handler', () => {
  it('stores a single message and answers 200', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const message = createTrackMessage({ event: 'sign-up', messageId: 'm-1' });

    const answer = await invoke(createIngestEvent({ body: JSON.stringify(message) }));

    expect(answer.statusCode).toBe(200);
    expect(json(answer)).toEqual({ accepted: 1, duplicates: 0, quarantined: 0, errors: [] });
    expect(sink.lines('events')).toEqual([
      expect.objectContaining({
        message_id: 'm-1',
        customer_id: 'acme',
        dt: '2026-11-28',
        event: 'Signed Up',
        event_raw: 'sign-up',
        type: 'track',
      }),
    ]);
  });

  it('stores the valid messages of a batch, quarantines the rest, and reports each', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const batch = [
      createTrackMessage({ messageId: 'ok-1' }),
      { type: 'track', userId: 'u', messageId: 'bad-1' },
      createIdentifyMessage({ messageId: 'ok-2' }),
      { type: 'launch', userId: 'u' },
    ];

    const answer = await invoke(createIngestEvent({ body: JSON.stringify({ batch }) }));

    expect(answer.statusCode).toBe(200);
    expect(json(answer)).toEqual({
      accepted: 2,
      duplicates: 0,
      quarantined: 2,
      errors: [
        { index: 1, messageId: 'bad-1', code: 'missing_field', reason: expect.any(String) },
        { index: 3, messageId: null, code: 'unsupported_type', reason: expect.stringContaining('"launch"') },
      ],
    });
    expect(sink.lines('events').map((e) => e.message_id)).toEqual(['ok-1', 'ok-2']);
    expect(sink.lines('quarantine')).toEqual([
      expect.objectContaining({
        index: 1,
        message_id: 'bad-1',
        reason: expect.objectContaining({ code: 'missing_field' }),
        raw: batch[1],
      }),
      expect.objectContaining({
        index: 3,
        reason: expect.objectContaining({ code: 'unsupported_type' }),
        raw: batch[3],
      }),
    ]);
  });

  it('answers 400 for a single invalid message, after quarantining it', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);

    const answer = await invoke(
      createIngestEvent({ body: JSON.stringify({ type: 'identify', traits: {} }) }),
    );

    expect(answer.statusCode).toBe(400);
    expect(json(answer)).toEqual({
      code: 'invalid_message',
      message: 'a userId or an anonymousId is required',
    });
    expect(sink.lines('quarantine')).toHaveLength(1);
  });

  it('answers 501 for an unsupported type, after quarantining it', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);

    const answer = await invoke(createIngestEvent({ body: JSON.stringify({ type: 'rocket', userId: 'u' }) }));

    expect(answer.statusCode).toBe(501);
    expect(json(answer).message).toContain('"rocket" is not supported');
    expect(sink.lines('quarantine')).toHaveLength(1);
  });

  it('stores a messageId repeated inside one request once', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const message = createTrackMessage({ messageId: 'same' });

    const answer = await invoke(
      createIngestEvent({ body: JSON.stringify([message, message, { ...message, event: 'Other' }]) }),
    );

    expect(json(answer)).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(sink.lines('events')).toHaveLength(1);
  });

  it('reads gzip bodies that API Gateway passes as base64', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);

    const answer = await invoke(
      createIngestEvent({
        body: gzipSync(JSON.stringify([createTrackMessage(), createTrackMessage()])),
        gzip: true,
      }),
    );

    expect(json(answer)).toMatchObject({ accepted: 2 });
  });

  it('partitions by the skew-corrected timestamp, not by arrival', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const replayed = {
      type: 'track',
      userId: 'u',
      event: 'x',
      messageId: 'old',
      originalTimestamp: '2023-05-01T23:59:50Z',
      sentAt: '2023-05-02T00:00:10Z',
      receivedAt: '2023-05-02T00:00:00Z',
    };

    await invoke(createIngestEvent({ body: JSON.stringify(replayed) }));

    expect(sink.lines('events')[0]).toMatchObject({
      dt: '2023-05-01',
      timestamp: '2023-05-01T23:59:40.000Z',
      received_at: '2026-11-28T12:00:00.000Z',
    });
  });

  it.each([
    ['an unset device clock (1969)', '1969-12-31T23:59:59.000Z'],
    ['the epoch', '1970-01-01T00:00:00.000Z'],
    ['before 2000', '1999-12-31T23:59:59.999Z'],
    ['more than a day ahead of receipt', '2026-11-29T12:00:00.001Z'],
    ['the far future', '9999-12-31T23:59:59.000Z'],
  ])(
    'keeps a timestamp outside [2000-01-01, received + 1 day] as sent, flags it, and files it by receive date: %s',
    async (_name, timestamp) => {
      const sink = new MemorySink();
      const { invoke } = setup(sink);

      const answer = await invoke(
        createIngestEvent({ body: JSON.stringify(createTrackMessage({ timestamp })) }),
      );

      expect(answer.statusCode).toBe(200);
      expect(sink.lines('events')[0]).toMatchObject({
        timestamp,
        timestamp_out_of_range: true,
        dt: '2026-11-28',
        received_at: '2026-11-28T12:00:00.000Z',
      });
    },
  );

  it.each([
    ['2000-01-01T00:00:00.000Z', '2000-01-01'],
    ['2026-11-29T12:00:00.000Z', '2026-11-29'], // exactly a day ahead: a clock running fast, still trusted
  ])('files a timestamp inside the window by its own date: %s', async (timestamp, dt) => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);

    await invoke(createIngestEvent({ body: JSON.stringify(createTrackMessage({ timestamp })) }));

    expect(sink.lines('events')[0]).toMatchObject({ timestamp, timestamp_out_of_range: false, dt });
  });

  it('answers 501 for a route type that is not a Segment type (/v1/purchase)', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const message = { userId: 'u', event: 'x', messageId: 'p-1' };

    const answer = await invoke(
      createIngestEvent({ body: JSON.stringify(message), type: 'purchase', path: '/v1/purchase' }),
    );

    expect(answer.statusCode).toBe(501);
    expect(json(answer)).toMatchObject({ code: 'unsupported_type' });
    expect(sink.lines('quarantine')[0]).toMatchObject({ reason: { code: 'unsupported_type' } });
  });

  it('writes the ledger line last, and none for a request that ends in 503', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    await invoke(createIngestEvent({ body: JSON.stringify(createTrackMessage()) }));

    expect(sink.acknowledged.map((r) => r.area)).toEqual(['events', 'ledger']);
    expect(sink.lines('ledger')[0]).toMatchObject({
      ledger_version: 2,
      request_id: 'req-1',
      status: 200,
      accepted: 1,
    });
    expect(sink.lines('events')[0]).toMatchObject({ request_id: 'req-1' });

    // Events stored, then the ledger line refused: the request ends in 503 and leaves no ledger line.
    const memory = new MemorySink();
    const ledgerRefused: RecordSink = {
      maxRecordBytes: memory.maxRecordBytes,
      put: async (records) =>
        records.some((r) => r.area === 'ledger')
          ? records.map(() => ({ ok: false, retryable: true, code: 'Throttled' }))
          : memory.put(records),
    };
    const answer = await setup(ledgerRefused).invoke(
      createIngestEvent({ body: JSON.stringify(createTrackMessage()) }),
    );

    expect(answer.statusCode).toBe(503);
    expect(memory.acknowledged.map((r) => r.area)).toEqual(['events']);
  });

  it("applies the customer's aliases from the authorizer context", async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const authorizer = {
      customerId: 'acme',
      tokenId: 't',
      eventAliases: JSON.stringify({ 'Account Opened': 'Signed Up' }),
    };

    await invoke(
      createIngestEvent({
        body: JSON.stringify(createTrackMessage({ event: 'account_opened' })),
        authorizer,
      }),
    );

    expect(sink.lines('events')[0]).toMatchObject({ event: 'Signed Up', event_raw: 'account_opened' });
  });

  it('takes the type from /v1/{type} when the message names none', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);

    const answer = await invoke(
      createIngestEvent({
        body: JSON.stringify({ userId: 'u', event: 'Clicked' }),
        path: '/v1/track',
        type: 'track',
      }),
    );

    expect(answer.statusCode).toBe(200);
    expect(sink.lines('events')[0]).toMatchObject({ type: 'track', event: 'Clicked' });
  });

  it('quarantines an unreadable body with its text, then answers 400', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);

    const answer = await invoke(createIngestEvent({ body: '{"type":"track",' }));

    expect(answer.statusCode).toBe(400);
    expect(json(answer).code).toBe('invalid_json');
    expect(sink.lines('quarantine')).toEqual([
      expect.objectContaining({
        raw_body: '{"type":"track",',
        reason: expect.objectContaining({ code: 'unreadable_body' }),
      }),
    ]);
  });

  it('keeps a message over 32 KB in quarantine, truncated to fit a record, and accepts the rest', async () => {
    const sink = new MemorySink(64 * 1024);
    const { invoke } = setup(sink);
    const huge = createTrackMessage({ properties: { blob: 'x'.repeat(200 * 1024) } });

    const answer = await invoke(createIngestEvent({ body: JSON.stringify([huge, createTrackMessage()]) }));

    expect(json(answer)).toMatchObject({
      accepted: 1,
      quarantined: 1,
      errors: [expect.objectContaining({ code: 'message_too_large' })],
    });
    expect(sink.lines('quarantine')[0]).toMatchObject({ raw_truncated: true, message_id: huge.messageId });
    expect(sink.acknowledged.every((r) => r.bytes <= 64 * 1024)).toBe(true);
  });

  it('answers 401 for a denied key and 403 for a disabled customer, storing nothing', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const body = JSON.stringify(createTrackMessage());

    const unauthorized = await invoke(createIngestEvent({ body, authorizer: { denied: 'invalid_api_key' } }));
    const forbidden = await invoke(createIngestEvent({ body, authorizer: { denied: 'customer_disabled' } }));

    expect(unauthorized.statusCode).toBe(401);
    expect(json(unauthorized).message).toMatch(/API key/);
    expect(forbidden.statusCode).toBe(403);
    expect(sink.sent).toHaveLength(0);
  });

  it('retries only failed records and answers 200 once the sink took them all', async () => {
    const sink = new MemorySink(1_000 * 1024, (record, attempt) =>
      record.dt === '2026-01-01' && attempt === 1
        ? { ok: false, retryable: true, code: 'Throttled' }
        : undefined,
    );
    const { invoke } = setup(sink);
    const body = JSON.stringify([
      createTrackMessage({ timestamp: '2026-01-01T00:00:00Z' }),
      createTrackMessage({ timestamp: '2026-01-02T00:00:00Z' }),
    ]);

    const answer = await invoke(createIngestEvent({ body }));

    expect(answer.statusCode).toBe(200);
    expect(sink.sent.filter((r) => r.area === 'events').map((r) => r.dt)).toEqual([
      '2026-01-01',
      '2026-01-02',
      '2026-01-01',
    ]);
  });

  it('answers 503 with Retry-After, never 2xx, when the sink will not take the data', async () => {
    const sink = new MemorySink(1_000 * 1024, () => ({
      ok: false,
      retryable: true,
      code: 'ServiceUnavailable',
    }));
    const { invoke } = setup(sink);

    const answer = await invoke(createIngestEvent({ body: JSON.stringify(createTrackMessage()) }));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('30');
    expect(json(answer).code).toBe('sink_unavailable');
  });

  it('answers a fixed 500 for an unexpected failure, without internals', async () => {
    const failing: RecordSink = {
      maxRecordBytes: 1024 * 1024,
      put: async () => {
        throw new TypeError('secret internal detail at /var/task/index.js');
      },
    };
    const { invoke, logs } = setup(failing);

    const answer = await invoke(createIngestEvent({ body: JSON.stringify(createTrackMessage()) }));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).not.toContain('secret');
    expect(logs.join('\n')).not.toContain('secret');
    expect(json(answer)).toEqual({ code: 'internal_error', message: expect.stringContaining('retry') });
  });
});

describe('ingest metrics', () => {
  function recordingMetrics() {
    const counts: Record<string, number> = {};
    let flushes = 0;
    return {
      counts,
      flushes: () => flushes,
      metrics: {
        count: (name: string, value: number, reason?: string) => {
          const key = reason ? `${name}:${reason}` : name;
          counts[key] = (counts[key] ?? 0) + value;
        },
        flush: () => {
          flushes += 1;
        },
      },
    };
  }

  it('counts requests, accepted events and quarantined ones by reason, and publishes once per invocation', async () => {
    const recorder = recordingMetrics();
    const handler = createIngestHandler({
      sink: new MemorySink(),
      clock: createFakeClock(),
      retry,
      limits: DEFAULT_LIMITS,
      logger: { info() {}, warn() {}, error() {} },
      metrics: recorder.metrics,
    });
    const body = JSON.stringify([
      createTrackMessage(),
      createTrackMessage(),
      { type: 'track', userId: 'u' },
      { type: 'launch', userId: 'u' },
    ]);

    await handler(createIngestEvent({ body }), lambdaContext);

    expect(recorder.counts).toEqual({
      Requests: 1,
      EventsAccepted: 2,
      'EventsQuarantined:missing_field': 1,
      'EventsQuarantined:unsupported_type': 1,
    });
    expect(recorder.flushes()).toBe(1);
  });

  it('counts an exhausted sink budget, and still publishes', async () => {
    const recorder = recordingMetrics();
    const sink = new MemorySink(1_000 * 1024, () => ({
      ok: false,
      retryable: true,
      code: 'ServiceUnavailable',
    }));
    const handler = createIngestHandler({
      sink,
      clock: createFakeClock(),
      retry,
      limits: DEFAULT_LIMITS,
      logger: { info() {}, warn() {}, error() {} },
      metrics: recorder.metrics,
    });

    const answer = await handler(
      createIngestEvent({ body: JSON.stringify(createTrackMessage()) }),
      lambdaContext,
    );

    expect(answer.statusCode).toBe(503);
    expect(recorder.counts.SinkBudgetExhausted).toBe(1);
    expect(recorder.flushes()).toBe(1);
  });
});
