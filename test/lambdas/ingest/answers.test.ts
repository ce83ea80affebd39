import type { RecordSink } from '../../../domain/core/common/ports';
import { createIdentifyMessage, createIngestEvent, createTrackMessage } from '../../support/factories';
import { json, setup } from '../../support/ingest-harness';
import { MemorySink } from '../../support/memory/memory-sink';

describe('ingest handler: the answers Segment gets', () => {
  it('stores a single message and answers 200', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    const message = createTrackMessage({ event: 'sign-up', messageId: 'm-1' });

    const answer = await invoke(createIngestEvent({ body: JSON.stringify(message) }));

    expect(answer.statusCode).toBe(200);
    expect(json(answer)).toEqual({
      accepted: 1,
      duplicates: 0,
      quarantined: 0,
      deletes: 0,
      erased: 0,
      errors: [],
    });
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
      deletes: 0,
      erased: 0,
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

  it('answers a fixed 500 for an unexpected failure, without internals, and logs what is needed to diagnose it', async () => {
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
    // The log (never the answer) has the message and the stack.
    expect(logs.join('\n')).toContain('"detail":"secret internal detail at /var/task/index.js"');
    expect(logs.join('\n')).toContain('"stack":"TypeError: secret internal detail');
    expect(json(answer)).toEqual({ code: 'internal_error', message: expect.stringContaining('retry') });
  });
});
