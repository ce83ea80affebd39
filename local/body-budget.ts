/**
 * The local server's memory bound for request bodies. A request holds its body, what it inflates to,
 * the decoded text, the parsed messages and their lake lines until the spool acknowledges them: several
 * times its inflated size (without a budget, test/e2e/body-memory.slow.test.ts's 16 concurrent maximal
 * gzip bodies take the server near 2.9 GB of RSS). So bodies in flight are admitted by their inflated size, against a budget:
 * a body that does not fit is answered 503 with Retry-After before it is inflated — Segment retries —
 * and never a 500 from running out of memory. One body is always admitted when none is in flight, so
 * the largest legal body (32 MiB inflated) is never refused for good.
 *
 * The stated bound: with the default 128 MiB, `npm start` stays under 1.5 GiB of RSS however many
 * maximal bodies arrive at once; test/e2e/body-memory.slow.test.ts sends 16 and reads the server's
 * high-water mark (without the budget it reached 2.9 GB there).
 */
const BODY_BUDGET_BYTES = 128 * 1024 * 1024;
export const BUSY_RETRY_AFTER_SECONDS = 1;

export interface BodyBudget {
  /** Admits a body of this weight: a release function, or undefined when it does not fit now. */
  admit(weight: number): (() => void) | undefined;
  readonly inFlight: number;
}

export function bodyBudget(limitBytes = BODY_BUDGET_BYTES): BodyBudget {
  let inFlight = 0;
  return {
    admit(weight) {
      if (inFlight > 0 && inFlight + weight > limitBytes) return undefined;
      inFlight += weight;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight -= weight;
      };
    },
    get inFlight() {
      return inFlight;
    },
  };
}

/**
 * What a body will inflate to, before inflating it: a gzip body's trailer says its size (RFC 1952
 * ISIZE, modulo 2^32, of its last member), capped by the inflate limit (a lying trailer is caught by
 * inflation's own cap); deflate has no trailer size and counts as the limit; anything else is its own size.
 */
export function bodyWeight(
  body: Buffer,
  contentEncoding: string | undefined,
  maxInflatedBytes: number,
): number {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    const trailer = body.length >= 18 ? body.readUInt32LE(body.length - 4) : maxInflatedBytes;
    return Math.max(body.length, Math.min(maxInflatedBytes, trailer));
  }
  if (encoding === 'deflate') return Math.max(body.length, maxInflatedBytes);
  return body.length;
}
