import { gzipSync } from 'node:zlib';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { bodyBudget, bodyWeight } from '../../local/body-budget';
import { createTrackMessage } from '../support/factories';
import { makeToken, post, useLocalDestination } from '../support/local-destination';

// Memory bounded at the legal maximums: request bodies of up to 4 MiB that inflate to up to 32 MiB.
// Bodies in flight are admitted by what they inflate to; over the budget a request is answered 503 with
// Retry-After before it is inflated (Segment retries), never 500 for running out of memory.

const MAX_INFLATED = DEFAULT_LIMITS.maxInflatedBytes;

describe('the body budget', () => {
  it('admits by inflated size, always one body when none is in flight, and frees on release', () => {
    const budget = bodyBudget(100);

    const first = budget.admit(80)!;
    expect(budget.admit(30)).toBeUndefined();
    const small = budget.admit(20)!;
    expect(budget.inFlight).toBe(100);
    first();
    first(); // a second release changes nothing
    small();
    expect(budget.inFlight).toBe(0);
    const huge = budget.admit(1_000)!; // alone: admitted
    expect(huge).toBeDefined();
    huge();
  });

  it('weighs a gzip body by its trailer, capped by the inflate limit; deflate as the limit', () => {
    const inflated = Buffer.alloc(5_000_000, 'a');
    const gz = gzipSync(inflated);

    expect(bodyWeight(gz, 'gzip', MAX_INFLATED)).toBe(5_000_000);
    expect(bodyWeight(gz, ' X-GZIP ', 1_000)).toBe(Math.max(gz.length, 1_000));
    expect(bodyWeight(gz, 'deflate', MAX_INFLATED)).toBe(MAX_INFLATED);
    expect(bodyWeight(inflated, undefined, MAX_INFLATED)).toBe(5_000_000);
  });
});

describe('many maximal gzip bodies at once', () => {
  // A budget of 40 MiB: one maximal body fits, a second does not (the default's behaviour, with fewer bodies).
  const BUDGET = 40 * 1024 * 1024;
  const local = useLocalDestination('body-budget-', { bodyBudgetBytes: BUDGET });

  it('answers 200 or 503 with Retry-After (never 500), and every body lands once retried', async () => {
    const { destination } = local;
    const { token } = await makeToken(local.dataDir, 'acme');
    // 1,000 messages of 30 KB: one body inflating to ~31 MB, under the 32 MiB limit.
    const batch = Array.from({ length: 1_000 }, (_, i) =>
      createTrackMessage({ messageId: `max-${i}`, properties: { blob: `${i}-`.padEnd(30_000, 'xyz') } }),
    );
    const body = gzipSync(JSON.stringify({ batch }), { level: 1 });
    const concurrent = Math.ceil(BUDGET / bodyWeight(body, 'gzip', MAX_INFLATED)) + 2;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    const send = async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const answer = await post(`${destination.url}/v1/batch`, body, token, { 'content-encoding': 'gzip' });
        statuses.push(answer.status);
        if (answer.status === 503) retryAfter = answer.headers.get('retry-after');
        if (answer.status !== 503) return answer.status;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return 0;
    };

    const finals = await Promise.all(Array.from({ length: concurrent }, send));

    expect(finals).toEqual(Array(concurrent).fill(200));
    expect(statuses).not.toContain(500);
    expect(statuses).toContain(503);
    expect(retryAfter).toBe('1');
  }, 120_000);
});
