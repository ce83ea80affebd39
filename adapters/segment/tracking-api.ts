import { batchCalls } from '../../domain/core/audiences/segment-sync';

/**
 * Attempts per batch: Segment answers 429 with Retry-After under its rate limit and 5xx when it is
 * briefly unavailable; six attempts with back-off from 0.5 s (capped at 30 s) ride out about a minute.
 */
export const MAX_ATTEMPTS = 6;

export interface SendOptions<T> {
  host: string;
  writeKey: string;
  calls: readonly T[];
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /**
   * After each batch, delivered or not — or each part of one, when a refused batch is split (what was
   * delivered is recorded here before the next is sent).
   */
  onBatch?: (batch: T[], delivered: boolean, index: number, total: number) => void | Promise<void>;
}

/**
 * Sends calls through Segment's HTTP Tracking API (`POST <host>/v1/batch`, Basic auth with the source's
 * write key), in batches within its size limits. A batch is retried on 429 and 5xx and on a network
 * error (Retry-After first, else back-off). Any other refusal (a 400) is final for what it refused, so a
 * refused batch is split in halves and each half sent again, down to the one message Segment refuses:
 * one bad message never loses the rest of its batch. The local `audience sync` and the AWS sync function
 * both send through this.
 */
export async function sendBatches<T>(options: SendOptions<T>): Promise<{
  sent: number;
  failed: number;
  batches: number;
}> {
  const { batches, tooLarge } = batchCalls(options.calls);
  const send = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  const url = `${options.host.replace(/\/$/, '')}/v1/batch`;
  let sent = 0;
  let failed = tooLarge.length;

  /** One request's fate: delivered, refused for good (a 4xx), or given up after MAX_ATTEMPTS. */
  const post = async (batch: T[]): Promise<'delivered' | 'refused' | 'unavailable'> => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let status = 0;
      let retryAfter: string | null = null;
      try {
        const response = await send(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ batch }),
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        await response.arrayBuffer();
      } catch {
        status = 0; // the network: retried like a 5xx
      }
      if (status >= 200 && status < 300) return 'delivered';
      if (status !== 0 && status !== 429 && status < 500) return 'refused';
      if (attempt < MAX_ATTEMPTS) {
        const seconds = Number(retryAfter);
        await sleep(
          Number.isFinite(seconds) && seconds >= 0 && retryAfter !== null
            ? seconds * 1000
            : Math.min(30_000, 500 * 2 ** (attempt - 1)),
        );
      }
    }
    return 'unavailable';
  };

  /** A batch, and on a refusal its halves, each reported to onBatch as it is settled. */
  const deliver = async (batch: T[], index: number): Promise<void> => {
    const outcome = await post(batch);
    if (outcome === 'refused' && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await deliver(batch.slice(0, half), index);
      await deliver(batch.slice(half), index);
      return;
    }
    if (outcome === 'delivered') sent += batch.length;
    else failed += batch.length;
    await options.onBatch?.(batch, outcome === 'delivered', index, batches.length);
  };

  for (const [i, batch] of batches.entries()) await deliver(batch, i);
  return { sent, failed, batches: batches.length };
}
