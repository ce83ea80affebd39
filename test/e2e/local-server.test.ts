import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { FileTokenStore } from '../../lambdas/adapters/local/file-token-store';
import { revokeToken } from '../../lambdas/core/token-admin';
import { readLake } from '../../local/read-lake';
import { createTrackMessage } from '../support/factories';
import { makeToken, post, useLocalDestination } from '../support/local-destination';

describe('local destination, end to end over HTTP', () => {
  const local = useLocalDestination('dest-');
  let token: string;
  const accepted = new Map<string, string>(); // messageId → expected dt
  const refused = new Set<string>();

  beforeAll(async () => {
    ({ token } = await makeToken(local.dataDir));
  });

  it('accepts a single event as Segment sends it (curl-like)', async () => {
    const message = createTrackMessage({ event: 'sign_up', timestamp: '2024-02-29T23:30:00-01:00' });

    const answer = await post(`${local.destination.url}/`, message, token);

    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    accepted.set(message.messageId as string, '2024-03-01');
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
    accepted
      .set('route-track', '2026-11-01')
      .set('route-identify', '2026-11-01')
      .set('gz-1', '2026-10-01')
      .set('gz-2', '2026-10-02');
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
    for (const id of ['sdk-0', 'sdk-1', 'sdk-2', 'sdk-3', 'sdk-4', 'sdk-5', 'sdk-6', 'sdk-identify'])
      accepted.set(id, '2025-06-15');
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
    accepted.set('before-revoke', '2026-11-28');

    await revokeToken(new FileTokenStore(local.dataDir), first.tokenId);
    let status = 200;
    const deadline = Date.now() + 5_000;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const id = `after-revoke-${Date.now()}`;
      status = (await post(`${local.destination.url}/`, createTrackMessage({ messageId: id }), first.token))
        .status;
      if (status === 200) accepted.set(id, '2026-11-28');
    }

    expect(status).toBe(401);
    expect(
      (await post(`${local.destination.url}/`, createTrackMessage({ messageId: 'rotated' }), second.token))
        .status,
    ).toBe(200);
    accepted.set('rotated', '2026-11-28');
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
    refused.add('invalid-1');
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
    accepted.set('mixed-ok', '2026-11-28');
    refused.add('mixed-bad');
  });

  it('answers 404 off the routes and 413 for a body over the limit', async () => {
    expect((await fetch(`${local.destination.url}/v2/track`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${local.destination.url}/`, { method: 'GET' })).status).toBe(404);
    const huge = await post(`${local.destination.url}/`, 'x'.repeat(7 * 1024 * 1024), token);
    expect(huge.status).toBe(413);
  });

  it('lands every accepted messageId exactly once in its partition, and every refused one in quarantine', async () => {
    await local.destination.flush();
    const lake = join(local.dataDir, 'lake');

    const events = readLake(lake, 'events');
    const quarantine = readLake(lake, 'quarantine');

    const counts = new Map<string, number>();
    for (const { record } of events)
      counts.set(record.message_id as string, (counts.get(record.message_id as string) ?? 0) + 1);
    for (const [id, dt] of accepted) {
      expect([id, counts.get(id)]).toEqual([id, 1]);
      const landed = events.find((l) => l.record.message_id === id)!;
      expect(landed.key.startsWith(`events/customer_id=acme/dt=${dt}/`)).toBe(true);
      expect(landed.record).toMatchObject({ customer_id: 'acme', dt });
    }
    expect(events).toHaveLength(accepted.size);
    // The completeness ledger agrees with the lake, partition by partition.
    const ledger = readLake(lake, 'ledger').map((l) => l.record);
    const acceptedByDt = new Map<string, number>();
    for (const entry of ledger)
      acceptedByDt.set(
        entry.dt as string,
        (acceptedByDt.get(entry.dt as string) ?? 0) + (entry.accepted as number),
      );
    const landedByDt = new Map<string, number>();
    for (const { record } of events)
      landedByDt.set(record.dt as string, (landedByDt.get(record.dt as string) ?? 0) + 1);
    expect(acceptedByDt).toEqual(landedByDt);
    expect(ledger.reduce((sum, e) => sum + (e.quarantined as number), 0)).toBe(quarantine.length);
    const quarantined = new Set(quarantine.map((l) => l.record.message_id));
    for (const id of refused) expect(quarantined.has(id)).toBe(true);
    expect(events.find((l) => l.record.message_id === 'sdk-1')!.record).toMatchObject({
      event: 'Signed Up',
      event_raw: 'signUp',
    });
  });
});
