import { gzipSync } from 'node:zlib';
import { createIngestEvent, createTrackMessage } from '../../support/factories';
import { json, setup } from '../../support/ingest-harness';
import { MemorySink } from '../../support/memory/memory-sink';

describe('ingest handler: what lands, and where', () => {
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
});
