import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { revokeToken } from '../../domain/core/keys/token-admin';
import { localCompleteness } from '../../local/completeness';
import { readLake } from '../../local/read-lake';
import { eventually } from '../support/eventually';
import { createPinnedClock, createTrackMessage, TEST_NOW } from '../support/factories';
import { makeToken, post, useLocalDestination } from '../support/local-destination';

// Each test sends its own messages and checks what of them landed: any test runs alone (`-t`), and the
// receive time is pinned, so the suite passes on any date.
describe('local destination, end to end over HTTP', () => {
  const local = useLocalDestination('dest-', { clock: createPinnedClock() });
  let token: string;

  beforeAll(async () => {
    ({ token } = await makeToken(local.dataDir));
  });

  /** Lands what is buffered, then reads the lake. */
  async function landed() {
    await local.destination.flush();
    const root = join(local.dataDir, 'lake');
    return {
      events: readLake(root, 'events'),
      quarantine: readLake(root, 'quarantine'),
      ledgerLines: readLake(root, 'ledger'),
      ledger: readLake(root, 'ledger').map((l) => l.record),
    };
  }

  /** Every messageId landed exactly once, in its customer's partition, with the expected event date. */
  async function expectLandedOnce(expected: Map<string, string>, customerId = 'acme') {
    const { events } = await landed();
    for (const [id, dt] of expected) {
      const copies = events.filter((l) => l.record.message_id === id);
      expect([id, copies.length]).toEqual([id, 1]);
      // Landed by receive date (the pinned clock's day); the event's own date is a column.
      expect(copies[0]!.key.startsWith(`events/customer_id=${customerId}/received_dt=2026-11-28/`)).toBe(
        true,
      );
      expect(copies[0]!.record).toMatchObject({ customer_id: customerId, dt });
    }
    return events;
  }

  it('accepts a single event as Segment sends it (curl-like)', async () => {
    const message = createTrackMessage({ event: 'sign_up', timestamp: '2024-02-29T23:30:00-01:00' });

    const answer = await post(`${local.destination.url}/`, message, token);

    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    await expectLandedOnce(new Map([[message.messageId as string, '2024-03-01']]));
  });

  it('accepts /v1/track, /v1/identify and a gzip batch on /v1/batch', async () => {
    const track = {
      userId: 'u-2',
      event: 'Order Completed',
      messageId: 'route-track',
      timestamp: '2026-11-01T00:00:00Z',
    };
    const identify = {
      userId: 'u-2',
      traits: { plan: 'pro' },
      messageId: 'route-identify',
      timestamp: '2026-11-01T00:00:00Z',
    };
    const batch = [
      createTrackMessage({ messageId: 'gz-1', timestamp: '2026-10-01T00:00:00Z' }),
      createTrackMessage({ messageId: 'gz-2', timestamp: '2026-10-02T00:00:00Z' }),
    ];

    expect((await post(`${local.destination.url}/v1/track`, track, token)).status).toBe(200);
    expect((await post(`${local.destination.url}/v1/identify`, identify, token)).status).toBe(200);
    const gz = await post(
      `${local.destination.url}/v1/batch`,
      gzipSync(JSON.stringify({ batch, sentAt: new Date().toISOString() })),
      token,
      { 'content-encoding': 'gzip' },
    );

    expect(gz).toMatchObject({ status: 200, body: { accepted: 2 } });
    await expectLandedOnce(
      new Map([
        ['route-track', '2026-11-01'],
        ['route-identify', '2026-11-01'],
        ['gz-1', '2026-10-01'],
        ['gz-2', '2026-10-02'],
      ]),
    );
  });

  it('takes a batch from the real @segment/analytics-node client', async () => {
    const analytics = new Analytics({
      writeKey: token,
      host: local.destination.url,
      path: '/v1/batch',
      flushAt: 20,
      flushInterval: 60_000,
      maxRetries: 0,
    });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    for (let i = 0; i < 7; i++) {
      analytics.track({
        userId: `sdk-user-${i}`,
        event: i % 2 ? 'signUp' : 'Product Viewed',
        messageId: `sdk-${i}`,
        timestamp: new Date('2025-06-15T12:00:00Z'),
      });
    }
    analytics.identify({
      userId: 'sdk-user-0',
      traits: { email: 'a@example.com' },
      messageId: 'sdk-identify',
      timestamp: new Date('2025-06-15T12:00:00Z'),
    });

    await analytics.closeAndFlush({ timeout: 10_000 });

    expect(failures).toEqual([]);
    const ids = ['sdk-0', 'sdk-1', 'sdk-2', 'sdk-3', 'sdk-4', 'sdk-5', 'sdk-6', 'sdk-identify'];
    const events = await expectLandedOnce(new Map(ids.map((id) => [id, '2025-06-15'])));
    expect(events.find((l) => l.record.message_id === 'sdk-1')!.record).toMatchObject({
      event: 'Signed Up',
      event_raw: 'signUp',
    });
  });

  it('answers 401 for missing, wrong and malformed keys, storing nothing', async () => {
    const message = createTrackMessage({ messageId: 'never-stored' });

    const missing = await post(`${local.destination.url}/`, message);
    const wrong = await post(
      `${local.destination.url}/`,
      message,
      'sgl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    );
    const malformed = await post(`${local.destination.url}/`, message, undefined, {
      authorization: 'Basic !!!',
    });

    expect([missing.status, wrong.status, malformed.status]).toEqual([401, 401, 401]);
    expect(wrong.body.message).toMatch(/API key/);
    const { events, quarantine } = await landed();
    expect([...events, ...quarantine].filter((l) => l.record.message_id === 'never-stored')).toEqual([]);
  });

  it('refuses a revoked key within a few seconds, while another key of the customer keeps working', async () => {
    const second = await makeToken(local.dataDir);
    const first = await makeToken(local.dataDir);
    expect(
      (
        await post(
          `${local.destination.url}/`,
          createTrackMessage({ messageId: 'before-revoke' }),
          first.token,
        )
      ).status,
    ).toBe(200);
    const accepted = new Map([['before-revoke', '2026-11-28']]);

    await revokeToken(new FileTokenStore(local.dataDir), first.tokenId, TEST_NOW);
    let attempt = 0;
    const status = await eventually(
      async () => {
        attempt += 1;
        const id = `after-revoke-${attempt}`;
        const answer = await post(
          `${local.destination.url}/`,
          createTrackMessage({ messageId: id }),
          first.token,
        );
        if (answer.status === 200) accepted.set(id, '2026-11-28'); // accepted before the revocation was seen
        return answer.status;
      },
      (s) => s !== 200,
      { timeoutMs: 5_000, intervalMs: 200 },
    );

    expect(status).toBe(401);
    expect(
      (await post(`${local.destination.url}/`, createTrackMessage({ messageId: 'rotated' }), second.token))
        .status,
    ).toBe(200);
    accepted.set('rotated', '2026-11-28');
    await expectLandedOnce(accepted);
  });

  it('answers 400 with a clear message for malformed JSON and a lone invalid message, quarantining them', async () => {
    const bad = await post(`${local.destination.url}/`, '{"type": "track", ', token);
    const invalid = await post(
      `${local.destination.url}/`,
      { type: 'track', userId: 'u', messageId: 'invalid-1' },
      token,
    );

    expect(bad).toMatchObject({ status: 400, body: { code: 'invalid_json' } });
    expect(invalid).toMatchObject({
      status: 400,
      body: { code: 'invalid_message', message: expect.stringContaining('event') },
    });
    const { quarantine } = await landed();
    expect(quarantine.filter((l) => l.record.message_id === 'invalid-1')).toHaveLength(1);
  });

  it('reports a mixed batch per message', async () => {
    const answer = await post(
      `${local.destination.url}/v1/batch`,
      {
        batch: [
          createTrackMessage({ messageId: 'mixed-ok', timestamp: '2026-11-28T00:00:00Z' }),
          { type: 'page', messageId: 'mixed-bad' },
        ],
      },
      token,
    );

    expect(answer).toMatchObject({
      status: 200,
      body: {
        accepted: 1,
        quarantined: 1,
        errors: [{ index: 1, messageId: 'mixed-bad', code: 'missing_identity' }],
      },
    });
    await expectLandedOnce(new Map([['mixed-ok', '2026-11-28']]));
    const { quarantine } = await landed();
    expect(quarantine.filter((l) => l.record.message_id === 'mixed-bad')).toHaveLength(1);
  });

  it('answers 404 off the routes and 413 for a body over the limit', async () => {
    expect((await fetch(`${local.destination.url}/v2/track`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${local.destination.url}/`, { method: 'GET' })).status).toBe(404);
    const huge = await post(`${local.destination.url}/`, 'x'.repeat(7 * 1024 * 1024), token);
    expect(huge.status).toBe(413);
  });

  it('keeps a completeness ledger that agrees with what landed, for a customer of its own', async () => {
    const own = await makeToken(local.dataDir, 'ledger-co');
    const batch = [
      createTrackMessage({ messageId: 'l-1', timestamp: '2026-11-28T01:00:00Z' }),
      createTrackMessage({ messageId: 'l-2', timestamp: '2025-01-02T01:00:00Z' }),
      createTrackMessage({ messageId: 'l-2', timestamp: '2025-01-02T01:00:00Z' }),
      { type: 'track', userId: 'u', messageId: 'l-bad' },
    ];
    expect((await post(`${local.destination.url}/v1/batch`, { batch }, own.token)).status).toBe(200);
    expect((await post(`${local.destination.url}/`, '{"type":', own.token)).status).toBe(400);

    const all = await landed();
    const rows = (await localCompleteness(join(local.dataDir, 'lake'))).filter(
      (r) => r.customer_id === 'ledger-co',
    );
    const ledger = all.ledger.filter((e) => e.customer_id === 'ledger-co');

    // Pinned receive time: both requests are of 2026-11-28, whatever the events' own dates.
    expect(rows).toEqual([
      {
        customer_id: 'ledger-co',
        dt: '2026-11-28',
        requests: 2,
        accepted: 2,
        landed: 2,
        missing: 0,
        erased: 0,
        surplus: 0,
        quarantined: 2,
        quarantine_landed: 2,
        unacknowledged: 0,
      },
    ]);
    expect(ledger.map((e) => [e.status, e.accepted, e.quarantined, e.duplicates]).sort()).toEqual([
      [200, 2, 1, 1],
      [400, 0, 1, 0],
    ]);
    expect(
      new Set(all.events.filter((l) => l.record.customer_id === 'ledger-co').map((l) => l.record.dt)),
    ).toEqual(new Set(['2026-11-28', '2025-01-02']));
  });
});
