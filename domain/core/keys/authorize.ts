import type { Breaker } from '../common/breaker';
import { type Deadline, isNoAnswer } from '../common/deadline';
import type { RefusalCache } from './refusal-cache';
import type { TokenStore } from './token-store';
import { hashesEqual, hashToken, isWellFormedToken, keyFromAuthorization } from './tokens';

/**
 * What the authorizer hands the ingest function (API Gateway passes it as
 * `requestContext.authorizer.lambda`). Values are strings: HTTP API contexts carry only scalars.
 */
export type AuthContext =
  | Allowed
  | { denied: 'missing_api_key' | 'invalid_api_key' | 'customer_disabled' }
  // The key store gave no answer within the authorizer's deadline: the ingest function answers 503.
  | { unavailable: 'key_store' };

type Allowed = { customerId: string; tokenId: string; eventAliases: string; trackingPlan: string };

/**
 * The authorizer's deadline (AUTHORIZER_DEADLINE_MS), the key store's breaker, and the verdicts this
 * instance gave lately: when the store does not answer, a key allowed within LAST_GOOD_MS is allowed
 * again rather than refused 503 — API Gateway would cache that 503 for the key for its cache TTL.
 */
export interface KeyCheck {
  deadline: Deadline;
  breaker?: Breaker | undefined;
  lastGood: LastGoodVerdicts;
}

/**
 * How long a verdict may stand in for a store that does not answer: a key revoked meanwhile stays
 * usable that long, as it does for API Gateway's cache of the verdict (authorizerCacheTtlSeconds).
 *
 * @internal
 */
export const LAST_GOOD_MS = 10 * 60 * 1000;
/** At most this many keys' verdicts a instance keeps (~300 bytes each): 3 MB. */
const LAST_GOOD_ENTRIES = 10_000;

export class LastGoodVerdicts {
  private readonly verdicts = new Map<string, { at: number; context: Allowed }>();

  constructor(
    private readonly ttlMs = LAST_GOOD_MS,
    private readonly maxEntries = LAST_GOOD_ENTRIES,
  ) {}

  remember(tokenHash: string, context: Allowed, nowMs: number): void {
    this.verdicts.delete(tokenHash);
    if (this.verdicts.size >= this.maxEntries) this.verdicts.delete(this.verdicts.keys().next().value!);
    this.verdicts.set(tokenHash, { at: nowMs, context });
  }

  recall(tokenHash: string, nowMs: number): Allowed | undefined {
    const known = this.verdicts.get(tokenHash);
    return known && nowMs - known.at < this.ttlMs ? known.context : undefined;
  }
}

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
  /** The deadline and breaker of the key store's calls (the AWS authorizer's); none locally. */
  within?: KeyCheck,
): Promise<AuthContext> {
  const key = keyFromAuthorization(header);
  if (key === undefined) return { denied: 'missing_api_key' };
  if (!isWellFormedToken(key)) return { denied: 'invalid_api_key' };
  const presented = hashToken(key);
  if (refusals?.has(presented, now.getTime())) return { denied: 'invalid_api_key' };
  try {
    const verdict = await check(presented, store, now, refusals, within);
    if (within && 'customerId' in verdict) within.lastGood.remember(presented, verdict, now.getTime());
    return verdict;
  } catch (error) {
    if (!within || !isNoAnswer(error)) throw error;
    return within.lastGood.recall(presented, now.getTime()) ?? { unavailable: 'key_store' };
  }
}

async function check(
  presented: string,
  store: TokenStore,
  now: Date,
  refusals: RefusalCache | undefined,
  within: KeyCheck | undefined,
): Promise<Allowed | { denied: 'invalid_api_key' | 'customer_disabled' }> {
  const read = <T>(work: (signal?: AbortSignal) => Promise<T>): Promise<T> =>
    within ? within.deadline.call('tokens', work, { breaker: within.breaker }) : work();
  const record = await read((signal) => store.findByHash(presented, signal));
  if (record?.status !== 'active' || !hashesEqual(record.tokenHash, presented)) {
    refusals?.remember(presented, now.getTime());
    return { denied: 'invalid_api_key' };
  }
  const customer = await read((signal) => store.getCustomer(record.customerId, signal));
  if (customer?.status === 'disabled') return { denied: 'customer_disabled' };
  const notBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (!record.lastUsedAt || Date.parse(record.lastUsedAt) < notBefore.getTime()) {
    // Bookkeeping only: a failed or late write must never refuse a valid key — nor, by timing out,
    // open the breaker that guards the reads.
    const write = (signal?: AbortSignal) => store.recordUse(record.tokenHash, now, notBefore, signal);
    await (within ? within.deadline.call('tokens', write) : write()).catch(() => undefined);
  }
  return {
    customerId: record.customerId,
    tokenId: record.tokenId,
    eventAliases: JSON.stringify(customer?.eventAliases ?? {}),
    // The plan travels with the verdict (cached per key like the aliases): '' when there is none.
    trackingPlan: customer?.trackingPlan ? JSON.stringify(customer.trackingPlan) : '',
  };
}
