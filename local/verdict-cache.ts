import { createHash, type randomUUID } from 'node:crypto';
import { authorizerEvent, type LocalRequest, lambdaContext } from '../adapters/aws/api-gateway-events';
import type { AuthorizerHandler, AuthorizerResult } from '../lambdas/authorizer/create-authorizer-handler';

/**
 * The local server's stand-in for API Gateway's authorizer cache: a verdict is reused for the same
 * `Authorization` header, as API Gateway does (identity source `$request.header.Authorization`), so a
 * warm request does not run the authorizer again.
 *
 * Stricter than API Gateway in one way: a verdict is kept only while the token file is unchanged (its
 * `version`, re-checked by the store about once a second), so a key revoked or a customer disabled from
 * another process is refused within a second here, as before this cache, not after the TTL. The TTL
 * still bounds a verdict's life, so `lastUsedAt` (written on the authorizer's path) stays current.
 *
 * Headers are kept as their SHA-256, never as sent: the cache holds no key.
 *
 * @internal
 */
export class VerdictCache {
  private readonly entries = new Map<string, { verdict: AuthorizerResult; version: string; until: number }>();

  constructor(
    private readonly ttlMs: number,
    /** At most this many headers are remembered; past it the cache starts afresh (a key spray cannot grow it). */
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  get(authorization: string, version: string, now: number): AuthorizerResult | undefined {
    if (this.ttlMs <= 0) return undefined;
    const entry = this.entries.get(digest(authorization));
    return entry && entry.version === version && now < entry.until ? entry.verdict : undefined;
  }

  set(authorization: string, version: string, now: number, verdict: AuthorizerResult): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(digest(authorization), { verdict, version, until: now + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}

// A local server serves a handful of customers' keys; 1,000 headers is far above that and a few hundred KB.
const MAX_ENTRIES = 1_000;

const digest = (header: string) => createHash('sha256').update(header).digest('base64');

/**
 * The authorizer as the local server calls it: a request's verdict from the cache while it holds
 * (same header, token file unchanged, within the TTL), else from the authorizer function, then cached.
 */
export function cachedAuthorizer(deps: {
  authorizer: AuthorizerHandler;
  /** The token file's version: a change drops every cached verdict. */
  tokenVersion: () => string;
  ttlMs: number;
}): (
  request: LocalRequest,
  requestId: ReturnType<typeof randomUUID>,
  now: Date,
) => Promise<AuthorizerResult> {
  const verdicts = new VerdictCache(deps.ttlMs);
  return async (request, requestId, now) => {
    const authorization = request.headers.authorization ?? '';
    const version = deps.tokenVersion();
    const cached = verdicts.get(authorization, version, now.getTime());
    if (cached) return cached;
    const verdict = await deps.authorizer(
      authorizerEvent(request, requestId, now),
      lambdaContext('authorizer', requestId),
    );
    verdicts.set(authorization, version, now.getTime(), verdict);
    return verdict;
  };
}
