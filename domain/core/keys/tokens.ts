import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import { CUSTOMER_ID_PATTERN } from '../../contract/formats';
import { TrackingPlanSchema } from '../../contract/tracking-plan';

/**
 * API keys: a recognisable prefix (so leaked keys are easy to grep for and to report to secret
 * scanners) and 256 random bits in base64url. Only the SHA-256 of a key is ever stored.
 */
export const TOKEN_PREFIX = 'sgl_';
const TOKEN_PATTERN = /^sgl_[A-Za-z0-9_-]{43}$/;
const TOKEN_BYTES = 32;

// Customer ids appear in S3 keys and paths (`customer_id=<id>`), so they are kept path-safe.
export { CUSTOMER_ID_PATTERN };

const IsoTime = v.pipe(v.string(), v.isoTimestamp('must be an ISO-8601 time'));

/** What is stored for a key: never the key itself. The one definition; stores parse what they read with it. */
export const TokenRecordSchema = v.object({
  tokenId: v.pipe(v.string(), v.regex(/^tok_[0-9a-f]+$/, 'must look like tok_<hex>')),
  customerId: v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'must be a valid customer id')),
  tokenHash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256')),
  status: v.picklist(['active', 'revoked']),
  createdAt: IsoTime,
  revokedAt: v.optional(IsoTime),
  lastUsedAt: v.optional(IsoTime),
});
export type TokenRecord = v.InferOutput<typeof TokenRecordSchema>;

export interface IssuedToken {
  /** The key itself: shown once, to be sent to Segment, never stored. */
  token: string;
  record: TokenRecord;
}

/**
 * A new key for a customer.
 *
 * @example issueToken('acme', new Date()).token.startsWith('sgl_') // true
 */
export function issueToken(
  customerId: string,
  now: Date,
  random: (n: number) => Buffer = randomBytes,
): IssuedToken {
  const token = `${TOKEN_PREFIX}${random(TOKEN_BYTES).toString('base64url')}`;
  const tokenId = `tok_${random(8).toString('hex')}`;
  return {
    token,
    record: {
      tokenId,
      customerId,
      tokenHash: hashToken(token),
      status: 'active',
      createdAt: now.toISOString(),
    },
  };
}

/** The stored form of a key: hex SHA-256. A 256-bit random key needs no salt or slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** Constant-time comparison of two hex hashes (lengths are checked first: timingSafeEqual needs equal ones). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/**
 * The `Authorization` header Segment sends for an API key: `Basic base64(key:)`. For our own
 * clients (fuzz, benches); tests build it independently, so a wrong format here cannot pass them.
 *
 * @example authorizationFor('sgl_x') // 'Basic c2dsX3g6'
 */
export function authorizationFor(key: string): string {
  return `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
}

/**
 * The API key from an `Authorization` header: `Basic base64(key:)` as Segment sends it (a missing
 * colon is tolerated), or `Bearer key`. Returns undefined for anything else.
 *
 * @example keyFromAuthorization('Basic ' + Buffer.from('sgl_x:').toString('base64')) // 'sgl_x'
 */
export function keyFromAuthorization(header: string | undefined): string | undefined {
  const match = /^\s*(basic|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const [, scheme, value] = match;
  if (scheme!.toLowerCase() === 'bearer') return value;
  const decoded = Buffer.from(value!, 'base64').toString('utf8');
  const key = decoded.split(':', 1)[0]!.trim();
  return key.length > 0 ? key : undefined;
}

/** A customer's settings: whether it may send, and its own event-name aliases. */
export const CustomerRecordSchema = v.object({
  customerId: v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'must be a valid customer id')),
  status: v.picklist(['enabled', 'disabled']),
  // Customers stored before aliases existed have none.
  eventAliases: v.optional(v.record(v.string(), v.string()), {}),
  /** The customer's tracking plan, if it has one (docs/data-quality.md). */
  trackingPlan: v.optional(TrackingPlanSchema),
  updatedAt: v.pipe(v.string(), v.isoTimestamp('must be an ISO-8601 time')),
});
export type CustomerRecord = v.InferOutput<typeof CustomerRecordSchema>;
