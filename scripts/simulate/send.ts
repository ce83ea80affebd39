import { authorizationFor } from '../../domain/core/keys/tokens';

export interface SendReport {
  requests: number;
  accepted: number;
  /** Answers other than 2xx that were not retried (4xx): their messages were refused. */
  refused: number;
  retries: number;
}

// Segment's batch size; 4 requests at a time keep a 2-core machine's server busy without a queue.
const BATCH = 100;
const CONCURRENCY = 4;
// A 429 or 503 is retried as Segment would, after Retry-After (at most 5 times, then the run fails).
const MAX_RETRIES = 5;

/** Posts `messages` to `<url>/v1/batch` in batches of 100, as a Segment source would. */
export async function sendBatches(
  url: string,
  key: string,
  messages: Record<string, unknown>[],
  onProgress: (sent: number, total: number) => void = () => {},
): Promise<SendReport> {
  const report: SendReport = { requests: 0, accepted: 0, refused: 0, retries: 0 };
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));
  let next = 0;
  let sent = 0;
  const lane = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(`${url.replace(/\/+$/, '')}/v1/batch`, {
          method: 'POST',
          headers: { authorization: authorizationFor(key), 'content-type': 'application/json' },
          body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
        });
        await response.arrayBuffer();
        report.requests += 1;
        if (response.ok) {
          report.accepted += batch.length;
          break;
        }
        if ((response.status === 429 || response.status >= 500) && attempt < MAX_RETRIES) {
          report.retries += 1;
          const wait = Number(response.headers.get('retry-after') ?? '1');
          await new Promise((r) => setTimeout(r, Math.min(10, Math.max(0.1, wait)) * 1000));
          continue;
        }
        if (response.status === 401 || response.status === 403)
          throw new Error(
            `the destination answered ${response.status}: is the key right, and the customer enabled?`,
          );
        if (response.status >= 500 || response.status === 429)
          throw new Error(`the destination answered ${response.status} ${MAX_RETRIES + 1} times`);
        report.refused += batch.length;
        break;
      }
      sent += batch.length;
      onProgress(sent, messages.length);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return report;
}
