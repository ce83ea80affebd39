import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { publishMetrics } from '../../adapters/middy/publish-metrics';
import { noMetrics } from '../../adapters/system/no-metrics';
import type { Breaker } from '../../domain/core/common/breaker';
import { Deadline } from '../../domain/core/common/deadline';
import { headerValue } from '../../domain/core/common/headers';
import type { Clock, Logger, Metrics } from '../../domain/core/common/ports';
import { type AuthContext, authorize, type LastGoodVerdicts } from '../../domain/core/keys/authorize';
import { RefusalCache } from '../../domain/core/keys/refusal-cache';
import type { TokenStore } from '../../domain/core/keys/token-store';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthContext>;
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEventV2,
  context: Context,
) => Promise<AuthorizerResult>;

/**
 * The HTTP API Lambda authorizer (payload 2.0, simple responses). It always lets the request on to the
 * ingest function with its verdict in the context: a customer id, or why it was denied. API Gateway
 * can only answer a fixed 403 for `isAuthorized: false`, while Segment's contract wants 401 for a bad
 * key with a message the customer sees; `principalFrom` in the ingest function enforces the verdict.
 * Logs carry the outcome and customer id only — never the header, the key or the event.
 */
export function createAuthorizerHandler(deps: {
  tokens: TokenStore;
  logger: Logger;
  /** `lastUsedAt` bookkeeping reads the time here. */
  clock: Clock;
  metrics?: Metrics;
  /** Run before everything else, e.g. Powertools' request context for the logs. */
  middleware?: MiddlewareObj[];
  /** Refusals remembered by this instance (domain/core/keys/refusal-cache.ts); one per instance by default. */
  refusals?: RefusalCache;
  /**
   * The deadline of each check, from the handler's start (AUTHORIZER_DEADLINE_MS), the key store's
   * breaker and the last good verdicts, kept for the instance's life; none locally.
   */
  keyCheck?: { deadlineMs: number; breaker: Breaker; lastGood: LastGoodVerdicts };
}): AuthorizerHandler {
  const metrics = deps.metrics ?? noMetrics;
  const refusals = deps.refusals ?? new RefusalCache();
  return middy<APIGatewayRequestAuthorizerEventV2, AuthorizerResult>()
    .use(deps.middleware ?? [])
    .use(publishMetrics(metrics))
    .handler(async (event) => {
      const keyCheck = deps.keyCheck;
      const context = await authorize(
        headerValue(event.headers, 'authorization'),
        deps.tokens,
        new Date(deps.clock.now()),
        refusals,
        keyCheck && {
          deadline: Deadline.after(deps.clock, keyCheck.deadlineMs),
          breaker: keyCheck.breaker,
          lastGood: keyCheck.lastGood,
        },
      );
      if ('unavailable' in context) {
        // Let through to the ingest function, which answers 503 + Retry-After (principalFrom).
        deps.logger.error('key store gave no answer in time', { dependency: 'tokens' });
        metrics.count('DependencyTimedOut', 1, 'tokens');
      } else if ('denied' in context) {
        deps.logger.warn('denied', { reason: context.denied });
        metrics.count('AuthorizerDenied', 1, context.denied);
      } else {
        deps.logger.info('allowed', { customerId: context.customerId, tokenId: context.tokenId });
        metrics.count('AuthorizerAllowed', 1);
      }
      return { isAuthorized: true, context };
    });
}
