import { compileAliases } from '../messages/normalize-event-name';
import { type CompiledPlan, planFromText } from '../quality/tracking-plan';
import { boundedMemo } from '../shared/bounded-memo';
import { ForbiddenError, UnauthorizedError } from '../shared/errors';
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
): Promise<AuthContext> {
  const key = keyFromAuthorization(header);
  if (key === undefined) return { denied: 'missing_api_key' };
  if (!isWellFormedToken(key)) return { denied: 'invalid_api_key' };
  const presented = hashToken(key);
  const record = await store.findByHash(presented);
  if (record?.status !== 'active' || !hashesEqual(record.tokenHash, presented))
    return { denied: 'invalid_api_key' };
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

export interface Principal {
  customerId: string;
  aliases: ReadonlyMap<string, string>;
  /** The customer's tracking plan, compiled; undefined without one. */
  plan: CompiledPlan | undefined;
}

/**
 * The ingest side of authentication: a request is processed only with a customer id from the
 * authorizer. The authorizer lets denied requests through to here so that Segment gets the 401 its
 * contract asks for (an HTTP API authorizer can only answer a fixed 403), with a message it shows.
 */
export function principalFrom(context: Partial<Record<string, unknown>> | undefined): Principal {
  const denied = context?.denied;
  if (denied === 'customer_disabled') {
    throw new ForbiddenError('This account is disabled for this destination; contact the destination owner.');
  }
  const customerId = context?.customerId;
  if (typeof customerId !== 'string' || customerId.length === 0) {
    if (denied === 'missing_api_key') {
      throw new UnauthorizedError(
        'missing_api_key',
        'Missing API key: send "Authorization: Basic base64(<apiKey>:)".',
      );
    }
    throw new UnauthorizedError(
      'invalid_api_key',
      'The API key is not valid (unknown, malformed or revoked): update it in the destination settings.',
    );
  }
  return {
    customerId,
    aliases: aliasesFor(context?.eventAliases),
    plan: planFromText(typeof context?.trackingPlan === 'string' ? context.trackingPlan : ''),
  };
}

// Warm functions see the same few customers' alias tables over and over: compile each once.
const COMPILED_ALIASES = boundedMemo(1_000, (text: string) => compileAliases(parseAliases(text)));

function aliasesFor(value: unknown): ReadonlyMap<string, string> {
  return COMPILED_ALIASES(typeof value === 'string' ? value : '');
}

function parseAliases(value: unknown): Record<string, string> {
  if (typeof value !== 'string' || value.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : {};
  } catch {
    return {};
  }
}
