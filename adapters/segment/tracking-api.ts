import pMap from 'p-map';
import { batchCalls } from '../../domain/core/audiences/segment-sync';

/**
 * Attempts per batch: Segment answers 429 with Retry-After under its rate limit and 5xx when it is
 * briefly unavailable; six attempts with back-off from 0.5 s (capped at 30 s) ride out about a minute.
 *
 * @internal
 */
export const MAX_ATTEMPTS = 6;

/**
 * The longest wait between attempts, Retry-After included: a Retry-After of an hour would otherwise hold
 * the AWS sync item past its function's 15 minutes (and `npm run simulate` for as long). Six attempts
 * then take at most 2.5 minutes of waiting.
 *
 * @internal
 */
export const MAX_WAIT_MS = 30_000;

export interface SendOptions<T> {
  /** Segment's API host, or any endpoint that speaks its HTTP Tracking API (our own destination). */
  host: string;
  writeKey: string;
  calls: readonly T[];
  /** At most this many calls a batch (besides Segment's byte limit); every call by default. */
  maxBatchCalls?: number;
  /**
   * Batches in flight at once: 1 by default, so batches settle in order (a sync's journal records them
   * one after another).
   */
  concurrency?: number;
  /** Stamps each batch's `sentAt` (as Segment's libraries do) when given. */
  sentAt?: () => string;
  /**
   * A 401 or 403 says the key is wrong for every call: throw at once instead of splitting the batch down
   * to single calls each refused the same way. Off by default: each refusal is counted as failed.
   */
  throwWhenUnauthorized?: boolean;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /**
   * After each batch, delivered or not — or each part of one, when a refused batch is split (what was
   * delivered is recorded here before the next is sent).
   */
  onBatch?: (batch: T[], delivered: boolean, index: number, total: number) => void | Promise<void>;
}

export interface SendResult {
  /** Calls Segment accepted (2xx). */
  sent: number;
  /** Calls not delivered: refused (4xx, alone in their batch), unavailable after MAX_ATTEMPTS, or too large. */
  failed: number;
  /** Of `failed`, those still unanswered with 429/5xx/network errors after MAX_ATTEMPTS. */
  unavailable: number;
  batches: number;
  requests: number;
  /** Requests sent again after a 429, a 5xx or a network error. */
  retries: number;
}

/** Thrown with `throwWhenUnauthorized` on a 401 or 403. */
export class UnauthorizedError extends Error {
  constructor(readonly status: number) {
    super(`answered ${status}: the write key is not accepted`);
    this.name = 'UnauthorizedError';
  }
}

/**
 * The one sender of Segment's HTTP Tracking API (`POST <host>/v1/batch`, Basic auth with the write key),
 * used by the local `audience sync`, the AWS sync function and `npm run simulate` (which sends to our
 * own destination, a Segment-compatible endpoint). Calls go in batches within Segment's size limits,
 * `concurrency` at a time (p-map). A batch is retried on 429 and 5xx and on a network error
 * (Retry-After first, else back-off; never more than MAX_WAIT_MS). Any other refusal (a 400) is final
 * for what it refused, so a refused batch is split in halves and each half sent again, down to the one
 * message Segment refuses: one bad message never loses the rest of its batch.
 */
export async function sendBatches<T>(options: SendOptions<T>): Promise<SendResult> {
  const { batches, tooLarge } = batchCalls(options.calls, undefined, options.maxBatchCalls);
  const send = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  const url = `${options.host.replace(/\/+$/, '')}/v1/batch`;
  const result: SendResult = {
    sent: 0,
    failed: tooLarge.length,
    unavailable: 0,
    batches: batches.length,
    requests: 0,
    retries: 0,
  };

  /** One request's fate: delivered, refused for good (a 4xx), or given up after MAX_ATTEMPTS. */
  const post = async (batch: T[]): Promise<'delivered' | 'refused' | 'unavailable'> => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let status = 0;
      let retryAfter: string | null = null;
      try {
        result.requests += 1;
        const response = await send(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify(options.sentAt ? { batch, sentAt: options.sentAt() } : { batch }),
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        await response.arrayBuffer();
      } catch {
        status = 0; // the network: retried like a 5xx
      }
      if (status >= 200 && status < 300) return 'delivered';
      if ((status === 401 || status === 403) && options.throwWhenUnauthorized)
        throw new UnauthorizedError(status);
      if (status !== 0 && status !== 429 && status < 500) return 'refused';
      if (attempt < MAX_ATTEMPTS) {
        result.retries += 1;
        const seconds = Number(retryAfter);
        const wait =
          Number.isFinite(seconds) && seconds >= 0 && retryAfter !== null
            ? seconds * 1000
            : 500 * 2 ** (attempt - 1);
        await sleep(Math.min(MAX_WAIT_MS, wait));
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
    if (outcome === 'delivered') result.sent += batch.length;
    else result.failed += batch.length;
    if (outcome === 'unavailable') result.unavailable += batch.length;
    await options.onBatch?.(batch, outcome === 'delivered', index, batches.length);
  };

  await pMap(batches.entries(), ([i, batch]) => deliver(batch, i), {
    concurrency: options.concurrency ?? 1,
  });
  return result;
}
