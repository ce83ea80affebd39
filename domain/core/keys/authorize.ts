import type { RefusalCache } from './refusal-cache';
import type { TokenStore } from './token-store';
import { hashesEqual, hashToken, isWellFormedToken, keyFromAuthorization } from './tokens';

/**
 * What the authorizer hands the ingest function (API Gateway passes it as
 * `requestContext.authorizer.lambda`). Values are strings: HTTP API contexts carry only scalars.
 */
export type AuthContext =
  | { customerId: string; tokenId: string; eventAliases: string; trackingPlan: string }
  | { denied: 'missing_api_key' | 'invalid_api_key' | 'customer_disabled' };

/**
 * Authenticates a request from its `Authorization` header: the key's SHA-256 is looked up, compared in
 * constant time, and must belong to an active key of an enabled customer. Never logs or returns the key.
 *
 * @example await authorize('Basic ' + btoa(token + ':'), store) // { customerId: 'acme', ... }
 */
// `lastUsedAt` is for people ("is this key still in use?"), so minutes are precise enough; with the
// authorizer cache in front, this is at most one write per key per few minutes, not one per request.
export const LAST_USED_RESOLUTION_MS = 5 * 60 * 1000;

export async function authorize(
  header: string | undefined,
  store: TokenStore,
  now: Date,
  /** Unknown and revoked keys refused lately by this instance: refused again without a read. */
  refusals?: RefusalCache,
): Promise<AuthContext> {
  const key = keyFromAuthorization(header);
  if (key === undefined) return { denied: 'missing_api_key' };
  if (!isWellFormedToken(key)) return { denied: 'invalid_api_key' };
  const presented = hashToken(key);
  if (refusals?.has(presented, now.getTime())) return { denied: 'invalid_api_key' };
  const record = await store.findByHash(presented);
  if (record?.status !== 'active' || !hashesEqual(record.tokenHash, presented)) {
    refusals?.remember(presented, now.getTime());
    return { denied: 'invalid_api_key' };
  }
  const customer = await store.getCustomer(record.customerId);
  if (customer?.status === 'disabled') return { denied: 'customer_disabled' };
  const notBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (!record.lastUsedAt || Date.parse(record.lastUsedAt) < notBefore.getTime()) {
    // Bookkeeping only: a failed write must never refuse a valid key.
    await store.recordUse(record.tokenHash, now, notBefore).catch(() => undefined);
  }
  return {
    customerId: record.customerId,
    tokenId: record.tokenId,
    eventAliases: JSON.stringify(customer?.eventAliases ?? {}),
    // The plan travels with the verdict (cached per key like the aliases): '' when there is none.
    trackingPlan: customer?.trackingPlan ? JSON.stringify(customer.trackingPlan) : '',
  };
}
