import {
  MAX_ATTEMPTS,
  MAX_WAIT_MS,
  sendBatches,
  UnauthorizedError,
} from '../../../adapters/segment/tracking-api';

/** Segment's /v1/batch as a fake: refuses (400) a batch holding a message it cannot take, else 200. */
function segment(options: { refuse: (call: { userId: string }) => boolean; busyFirst?: number }) {
  const requests: { userId: string }[][] = [];
  let busy = options.busyFirst ?? 0;
  const fetch = (async (_url: string, init: { body: string }) => {
    const { batch } = JSON.parse(init.body) as { batch: { userId: string }[] };
    requests.push(batch);
    if (busy > 0) {
      busy -= 1;
      return new Response(null, { status: 503, headers: { 'retry-after': '0' } });
    }
    return new Response(null, { status: batch.some(options.refuse) ? 400 : 200 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const calls = (n: number) => Array.from({ length: n }, (_, i) => ({ userId: `u-${i}`, traits: { x: i } }));

describe('sending to Segment’s HTTP Tracking API', () => {
  it('splits a refused batch until the bad message is alone: every other message is delivered', async () => {
    const fake = segment({ refuse: (c) => c.userId === 'u-37' });
    const settled: { size: number; delivered: boolean }[] = [];
    const result = await sendBatches({
      host: 'https://api.segment.io',
      writeKey: 'k',
      calls: calls(100),
      fetch: fake.fetch,
      sleep: async () => undefined,
      onBatch: (batch, delivered) => {
        settled.push({ size: batch.length, delivered });
      },
    });

    expect(result).toMatchObject({ sent: 99, failed: 1, unavailable: 0, batches: 1 });
    expect(settled.filter((s) => !s.delivered)).toEqual([{ size: 1, delivered: false }]);
    expect(settled.reduce((sum, s) => sum + s.size, 0)).toBe(100);
    // A halving search: about 2 × log2(100) requests, not 100.
    expect(fake.requests.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(100)));
  });

  it('retries a busy Segment before it gives up, and never splits for it', async () => {
    const fake = segment({ refuse: () => false, busyFirst: 2 });
    expect(
      await sendBatches({
        host: 'h',
        writeKey: 'k',
        calls: calls(10),
        fetch: fake.fetch,
        sleep: async () => undefined,
      }),
    ).toMatchObject({ sent: 10, failed: 0, batches: 1, requests: 3, retries: 2 });
    expect(fake.requests.map((b) => b.length)).toEqual([10, 10, 10]);

    const down = segment({ refuse: () => false, busyFirst: 1_000 });
    expect(
      await sendBatches({
        host: 'h',
        writeKey: 'k',
        calls: calls(10),
        fetch: down.fetch,
        sleep: async () => undefined,
      }),
    ).toMatchObject({ sent: 0, failed: 10, unavailable: 10, batches: 1 });
    expect(down.requests).toHaveLength(MAX_ATTEMPTS);
  });

  it('keeps at most `concurrency` batches in flight, of at most `maxBatchCalls` calls, each stamped with sentAt', async () => {
    let inFlight = 0;
    let most = 0;
    const bodies: { batch: unknown[]; sentAt?: string }[] = [];
    const fetch = (async (_url: string, init: { body: string }) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      bodies.push(JSON.parse(init.body));
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return new Response(null, { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const result = await sendBatches({
      host: 'h',
      writeKey: 'k',
      calls: calls(95),
      maxBatchCalls: 10,
      concurrency: 3,
      sentAt: () => '2026-01-01T00:00:00.000Z',
      fetch,
    });
    expect(result).toMatchObject({ sent: 95, failed: 0, batches: 10, requests: 10 });
    expect(most).toBe(3);
    expect(bodies.map((b) => b.batch.length).sort((a, b) => a - b)).toEqual([5, ...Array(9).fill(10)]);
    expect(new Set(bodies.map((b) => b.sentAt))).toEqual(new Set(['2026-01-01T00:00:00.000Z']));
  });

  it('on a 401 or 403 either counts every call as refused or, asked to, stops at once', async () => {
    const requests: unknown[] = [];
    const fetch = (async (_url: string, init: { body: string }) => {
      requests.push(init.body);
      return new Response(null, { status: 401 });
    }) as unknown as typeof globalThis.fetch;
    await expect(
      sendBatches({ host: 'h', writeKey: 'k', calls: calls(8), fetch, throwWhenUnauthorized: true }),
    ).rejects.toThrow(UnauthorizedError);
    expect(requests).toHaveLength(1);
    expect(
      await sendBatches({ host: 'h', writeKey: 'k', calls: calls(8), fetch, sleep: async () => undefined }),
    ).toMatchObject({ sent: 0, failed: 8, unavailable: 0 });
  });

  it('waits as Retry-After asks, but never longer than MAX_WAIT_MS', async () => {
    let first = true;
    const fetch = (async () => {
      const answer = first
        ? new Response(null, { status: 429, headers: { 'retry-after': '3600' } })
        : new Response(null, { status: 200 });
      first = false;
      return answer;
    }) as unknown as typeof globalThis.fetch;
    const waits: number[] = [];
    const result = await sendBatches({
      host: 'h',
      writeKey: 'k',
      calls: calls(3),
      fetch,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(result).toMatchObject({ sent: 3, retries: 1 });
    expect(waits).toEqual([MAX_WAIT_MS]);
  });
});
