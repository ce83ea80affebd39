import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import {
  authorizerEvent as apiAuthorizerEvent,
  localRequest,
} from '../../../adapters/aws/api-gateway-events';
import { REFUSAL_CACHE_ENTRIES, REFUSAL_TTL_MS, RefusalCache } from '../../../domain/core/keys/refusal-cache';
import { createToken, revokeToken } from '../../../domain/core/keys/token-admin';
import { createAuthorizerHandler } from '../../../lambdas/authorizer/create-authorizer-handler';
import { createFakeClock, lambdaContext, TEST_NOW } from '../../support/factories';
import { basicAuth } from '../../support/local-destination';
import { MemoryTokenStore } from '../../support/memory/memory-token-store';

function authorizerEvent(authorization?: string): APIGatewayRequestAuthorizerEventV2 {
  return apiAuthorizerEvent(
    localRequest({ headers: authorization ? { authorization } : {} }),
    'req-1',
    TEST_NOW,
  );
}

describe('authorizer handler', () => {
  it('passes the customer id on for a valid key, and logs neither key nor header', async () => {
    const tokens = new MemoryTokenStore();
    const { token, record } = await createToken(tokens, 'acme', TEST_NOW);
    const logs: string[] = [];
    const log = (m: string, f?: object) => logs.push(JSON.stringify({ m, ...f }));
    const handler = createAuthorizerHandler({
      tokens,
      logger: { info: log, warn: log, error: log },
      clock: createFakeClock(),
    });
    const header = basicAuth(token);

    const result = await handler(authorizerEvent(header), lambdaContext);

    expect(result).toEqual({
      isAuthorized: true,
      context: { customerId: 'acme', tokenId: record.tokenId, eventAliases: '{}', trackingPlan: '' },
    });
    expect(logs.join()).not.toContain(token);
    expect(logs.join()).not.toContain(header.slice(6));
  });

  it('hands a revoked key on as denied, for the ingest function to answer 401', async () => {
    const tokens = new MemoryTokenStore();
    const { token, record } = await createToken(tokens, 'acme', TEST_NOW);
    await revokeToken(tokens, record.tokenId, TEST_NOW);
    const handler = createAuthorizerHandler({
      tokens,
      logger: { info() {}, warn() {}, error() {} },
      clock: createFakeClock(),
    });

    const result = await handler(authorizerEvent(basicAuth(token)), lambdaContext);

    expect(result).toEqual({ isAuthorized: true, context: { denied: 'invalid_api_key' } });
  });

  it('refuses a well-formed unknown key again without a table read for 60 s, then reads it again', async () => {
    const tokens = new MemoryTokenStore();
    const reads: string[] = [];
    const counting = Object.assign(Object.create(tokens), {
      findByHash: (hash: string) => {
        reads.push(hash);
        return tokens.findByHash(hash);
      },
    }) as MemoryTokenStore;
    const clock = createFakeClock();
    const handler = createAuthorizerHandler({
      tokens: counting,
      logger: { info() {}, warn() {}, error() {} },
      clock,
    });
    const unknown = basicAuth(`sgl_${'A'.repeat(43)}`);

    const first = await handler(authorizerEvent(unknown), lambdaContext);
    const again = await handler(authorizerEvent(unknown), lambdaContext);
    await clock.sleep(REFUSAL_TTL_MS);
    const later = await handler(authorizerEvent(unknown), lambdaContext);

    for (const verdict of [first, again, later])
      expect(verdict).toEqual({ isAuthorized: true, context: { denied: 'invalid_api_key' } });
    expect(reads).toHaveLength(2);
  });

  it('keeps at most its stated number of refusals: full, it starts afresh', () => {
    const refusals = new RefusalCache(REFUSAL_TTL_MS, 3);
    for (const hash of ['a', 'b', 'c']) refusals.remember(hash, 0);
    refusals.remember('d', 0);

    // Full at three, the fourth started afresh: only the fourth is remembered.
    expect(['a', 'b', 'c', 'd'].map((hash) => refusals.has(hash, 1))).toEqual([false, false, false, true]);
    expect(REFUSAL_CACHE_ENTRIES).toBe(10_000);
  });
});
