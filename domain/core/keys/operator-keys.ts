import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { hashesEqual, hashToken } from './tokens';

/**
 * Operator keys: who may open the console (`/console/`). Kept apart from customers' write keys — their
 * own prefix, their own store — so an operator key is never a write key (it gets 401 at `/v1/*`, being
 * no well-formed `sgl_` key) and a write key never opens the console. 256 random bits; only the
 * SHA-256 is stored, and compared in constant time.
 */
const OPERATOR_KEY_PREFIX = 'sgo_';
const OPERATOR_KEY_PATTERN = /^sgo_[A-Za-z0-9_-]{43}$/;
const IsoTime = v.pipe(v.string(), v.isoTimestamp('must be an ISO-8601 time'));

/** A name that is shown in the console and logged with each operator's actions. */
const NAME_RULE = 'a name of 1–64 characters, no control characters, not starting with a space';
export const OperatorNameSchema = v.pipe(
  v.string(),
  v.maxLength(64, NAME_RULE),
  v.regex(/^[^\p{Cc}\s][^\p{Cc}]*$/u, NAME_RULE),
);

export const OperatorRecordSchema = v.object({
  tokenId: v.pipe(v.string(), v.regex(/^opk_[0-9a-f]+$/, 'must look like opk_<hex>')),
  name: OperatorNameSchema,
  tokenHash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256')),
  status: v.picklist(['active', 'revoked']),
  createdAt: IsoTime,
  revokedAt: v.optional(IsoTime),
});
export type OperatorRecord = v.InferOutput<typeof OperatorRecordSchema>;

/** What is shown of an operator key: never its hash. */
export type OperatorSummary = Omit<OperatorRecord, 'tokenHash'>;

export function summarizeOperator({ tokenHash: _, ...rest }: OperatorRecord): OperatorSummary {
  return rest;
}

/**
 * A new operator key; `name` defaults to the key's id.
 *
 * @example issueOperatorKey(undefined, new Date()).token.startsWith('sgo_') // true
 */
export function issueOperatorKey(
  name: string | undefined,
  now: Date,
  random: (n: number) => Buffer = randomBytes,
): { token: string; record: OperatorRecord } {
  const token = `${OPERATOR_KEY_PREFIX}${random(32).toString('base64url')}`;
  const tokenId = `opk_${random(8).toString('hex')}`;
  return {
    token,
    record: {
      tokenId,
      name: name ?? tokenId,
      tokenHash: hashToken(token),
      status: 'active',
      createdAt: now.toISOString(),
    },
  };
}

/** The active operator a presented key belongs to, or undefined (a write key, a revoked or unknown key). */
export function findOperator(
  records: readonly OperatorRecord[],
  presented: string,
): OperatorRecord | undefined {
  if (!OPERATOR_KEY_PATTERN.test(presented)) return undefined;
  const hash = hashToken(presented);
  // Every record is compared, in constant time each: which one matched takes no longer to find.
  let found: OperatorRecord | undefined;
  for (const record of records)
    if (hashesEqual(record.tokenHash, hash) && record.status === 'active') found = record;
  return found;
}
