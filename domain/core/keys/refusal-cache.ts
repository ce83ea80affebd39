/**
 * Refusals of well-formed keys that no active record holds (unknown or revoked), remembered for a while
 * by one authorizer instance, so a client that keeps sending the same bad key costs no table read after
 * its first. (API Gateway's own cache, `authorizerCacheTtlSeconds`, keeps verdicts per header too, but not
 * when it is 0 and not across its own nodes.) Keys are random and never reactivated, so a refusal stays
 * right — except for a key used within a moment of its creation, whose record an eventually consistent
 * read may not see yet: that key stays refused for REFUSAL_TTL_MS (API Gateway's cache would already keep
 * that verdict for authorizerCacheTtlSeconds). A key reaches Segment through the enable page, seconds
 * after it was written; DynamoDB's eventually consistent reads usually catch up within a second.
 *
 * @example const refusals = new RefusalCache(); refusals.remember(hash, now); refusals.has(hash, now) // true
 *
 * @internal
 */
export const REFUSAL_TTL_MS = 60_000;
/**
 * ~150 bytes an entry: at most ~1.5 MB per instance; when full it starts afresh (one read per key).
 *
 * @internal
 */
export const REFUSAL_CACHE_ENTRIES = 10_000;

export class RefusalCache {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs = REFUSAL_TTL_MS,
    private readonly maxEntries = REFUSAL_CACHE_ENTRIES,
  ) {}

  has(tokenHash: string, nowMs: number): boolean {
    const until = this.until.get(tokenHash);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.until.delete(tokenHash);
    return false;
  }

  remember(tokenHash: string, nowMs: number): void {
    if (this.until.size >= this.maxEntries) this.until.clear();
    this.until.set(tokenHash, nowMs + this.ttlMs);
  }
}
