import { sendBatches as sendToTrackingApi, UnauthorizedError } from '../../adapters/segment/tracking-api';

export interface SendReport {
  requests: number;
  accepted: number;
  /** Messages refused for good (a 4xx for the message alone in its batch). */
  refused: number;
  retries: number;
}

// Segment's batch size; 4 requests at a time keep a 2-core machine's server busy without a queue.
const BATCH = 100;
const CONCURRENCY = 4;

/**
 * Posts `messages` to `<url>/v1/batch` in batches of 100, as a Segment source would, through the one
 * Tracking API sender (adapters/segment/tracking-api.ts): a 429 or 5xx is retried after Retry-After, a
 * refused batch is split down to the message refused. A wrong key, or a destination still unavailable
 * after the sender's attempts, ends the run with an error.
 */
export async function sendBatches(
  url: string,
  key: string,
  messages: Record<string, unknown>[],
  onProgress: (sent: number, total: number) => void = () => {},
): Promise<SendReport> {
  let settled = 0;
  try {
    const result = await sendToTrackingApi({
      host: url,
      writeKey: key,
      calls: messages,
      maxBatchCalls: BATCH,
      concurrency: CONCURRENCY,
      sentAt: () => new Date().toISOString(),
      throwWhenUnauthorized: true,
      onBatch: (batch) => {
        settled += batch.length;
        onProgress(settled, messages.length);
      },
    });
    if (result.unavailable > 0)
      throw new Error(
        `the destination was still unavailable (429/5xx) for ${result.unavailable} messages after every retry`,
      );
    return {
      requests: result.requests,
      accepted: result.sent,
      refused: result.failed,
      retries: result.retries,
    };
  } catch (error) {
    if (error instanceof UnauthorizedError)
      throw new Error(
        `the destination answered ${error.status}: is the key right, and the customer enabled?`,
      );
    throw error;
  }
}
