import { boundedMemo } from '../common/bounded-memo';
import { ForbiddenError, KeyCheckUnavailableError, UnauthorizedError } from '../common/errors';
import { compileAliases } from '../messages/normalize-event-name';
import { type CompiledPlan, planFromText } from '../quality/tracking-plan';

// The ingest side of authentication, apart from authorize() so that the authorizer's bundle carries
// neither the alias compiler nor the tracking-plan validator (ajv).

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
  if (context?.unavailable !== undefined) throw new KeyCheckUnavailableError(KEY_CHECK_RETRY_SECONDS);
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

// API Gateway keeps the verdict for its cache TTL (300 s by default): retrying sooner meets it again.
const KEY_CHECK_RETRY_SECONDS = 30;

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
