import { createHash } from 'node:crypto';
import { type AudienceGroup, DESTINATION_LIBRARY } from '../../contract/audiences';

/**
 * What sending predictions back to Segment means, as pure functions: the traits of each user, which
 * users changed since the last sync, and the identify calls in batches within Segment's HTTP Tracking
 * API limits (32 KB a message, 500 KB a batch: segment.com/docs/connections/sources/catalog/libraries/
 * server/http-api/#max-request-size). Read as decimal kilobytes, the stricter reading, and batches are
 * made with a margin below it, as Segment's own libraries do (475–480 KB): a batch refused for its size
 * is a 400, which no retry changes.
 */
const SEGMENT_MAX_MESSAGE_BYTES = 32_000;
/** @internal */
export const SEGMENT_MAX_BATCH_BYTES = 500_000;
/**
 * What a sync puts in one batch at most: SEGMENT_MAX_BATCH_BYTES less a 5 % margin.
 *
 * @internal
 */
export const SYNC_BATCH_BYTES = 475_000;

/** Trait values; `null` unsets a prediction trait in Segment (a person who entered a holdout). */
export type Traits = Record<string, number | boolean | null>;

/**
 * `Signed Up` → `signed_up`: trait names in snake case, as Segment's own computed traits are.
 *
 * @internal
 */
export function snakeCase(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * A user's prediction traits: `predicted_<event>_percentile` (0–1) and `_probability` from the scoring,
 * and `audience_<name>` — true only for target members; holdout members and users who left are false,
 * so no tool ever treats a holdout member as in the audience.
 */
export function predictionTraits(
  event: string,
  scored: { percentile: number; probability: number } | undefined,
  audiences: { name: string; group: AudienceGroup | 'left' }[],
): Traits {
  const traits: Traits = {};
  if (scored) {
    traits[`predicted_${snakeCase(event)}_percentile`] = Number(scored.percentile.toFixed(4));
    traits[`predicted_${snakeCase(event)}_probability`] = Number(scored.probability.toFixed(6));
  }
  for (const a of audiences) traits[`audience_${snakeCase(a.name)}`] = a.group === 'target';
  return traits;
}

/** One event's prediction traits: its values, or both `null` (unset: the person entered a holdout). */
export function predictionOf(
  event: string,
  scored: { percentile: number; probability: number } | undefined,
): Traits {
  const name = snakeCase(event);
  return scored
    ? predictionTraits(event, scored, [])
    : { [`predicted_${name}_percentile`]: null, [`predicted_${name}_probability`]: null };
}

/** An audience's membership trait: `audience_<name>`, true only for target members (`membershipTraits`). */
export function membershipTraits(audiences: { name: string; group: AudienceGroup | 'left' }[]): Traits {
  return predictionTraits('', undefined, audiences);
}

/**
 * One person's current prediction of one event, as `audience sync` sends it (docs/audiences.md, "One
 * prediction per person"): from the latest scoring of the event, apart from any audience.
 * - `send`: the traits, when the person's decile differs from what was last sent (or nothing was);
 *   a person in a current holdout gets `null` traits once, if a prediction was sent before, so that a
 *   Segment audience built on the trait never reaches them.
 * - `record`: the state entry to keep once delivered (the decile, hashed with the person).
 */
export function currentPrediction(
  customerId: string,
  person: string,
  event: string,
  scored: { percentile: number; probability: number; decile: number } | 'held-out',
  lastSent: (key: string) => string | undefined,
  linkedUserId?: string,
): { send?: Traits; record: { user: string; sent: string } } {
  const key = createHash('sha256')
    .update(`${customerId}\n${person}\npredicted:${snakeCase(event)}`)
    .digest('hex')
    .slice(0, 32);
  const decile = scored === 'held-out' ? 'none' : String(scored.decile);
  const sent = createHash('sha256')
    .update(decile + (linkedUserId === undefined ? '' : `\n${linkedUserId}`))
    .digest('hex')
    .slice(0, 32);
  const record = { user: key, sent };
  const before = lastSent(key);
  if (before === sent) return { record };
  if (scored === 'held-out')
    return before === undefined ? { record } : { send: predictionOf(event, undefined), record };
  return { send: predictionOf(event, scored), record };
}

/**
 * A fingerprint of what was sent for a user, kept between syncs (no id in clear: a hash of it). The
 * user id an anonymous person was sent with (`linkedUserId`) is part of what was sent: a visitor who
 * signs up after a sync is sent again, with both ids, though their traits did not change.
 */
export function syncFingerprint(
  customerId: string,
  userId: string,
  traits: Traits,
  linkedUserId?: string,
): { user: string; sent: string } {
  const sorted = Object.fromEntries(Object.entries(traits).sort(([a], [b]) => a.localeCompare(b)));
  const sent = JSON.stringify(sorted) + (linkedUserId === undefined ? '' : `\n${linkedUserId}`);
  return {
    user: createHash('sha256').update(`${customerId}\n${userId}`).digest('hex').slice(0, 32),
    sent: createHash('sha256').update(sent).digest('hex').slice(0, 32),
  };
}

/**
 * The identify call for a person: an identified person by `userId`, an anonymous one (a visitor scored
 * under their anonymous id) by `anonymousId` alone — never an anonymous id as a `userId`, which would
 * make Segment create a user of it. An anonymous person the identity graph has since linked to a user
 * (`linkedUserId`: they signed up after the scoring) is sent with both ids, so the traits reach the user
 * they became. Its messageId is a hash of the customer, the person and the traits, so a sync that is
 * sent again (a retry, a rerun after a crash) is deduplicated by Segment.
 */
export function identifyCall(
  customerId: string,
  person: string,
  traits: Traits,
  timestamp: string,
  anonymous = false,
  linkedUserId?: string,
) {
  const { user, sent } = syncFingerprint(customerId, person, traits, anonymous ? linkedUserId : undefined);
  return {
    type: 'identify' as const,
    ...(anonymous
      ? { ...(linkedUserId ? { userId: linkedUserId } : {}), anonymousId: person }
      : { userId: person }),
    traits,
    messageId: `prediction-${user}-${sent}`,
    timestamp,
    context: { library: { ...DESTINATION_LIBRARY } },
  };
}

/**
 * Batches of calls, each batch within Segment's size limit (and at most `maxBatchCalls` calls when
 * given); a call over the message limit is refused.
 */
export function batchCalls<T>(
  calls: readonly T[],
  maxBatchBytes = SYNC_BATCH_BYTES,
  maxBatchCalls = Number.POSITIVE_INFINITY,
): {
  batches: T[][];
  tooLarge: T[];
} {
  const batches: T[][] = [];
  const tooLarge: T[] = [];
  let current: T[] = [];
  // `{"batch":[` + `]}` and a comma between calls.
  let bytes = 12;
  for (const call of calls) {
    const size = Buffer.byteLength(JSON.stringify(call));
    if (size > SEGMENT_MAX_MESSAGE_BYTES) {
      tooLarge.push(call);
      continue;
    }
    if (current.length > 0 && (bytes + size + 1 > maxBatchBytes || current.length >= maxBatchCalls)) {
      batches.push(current);
      current = [];
      bytes = 12;
    }
    current.push(call);
    bytes += size + 1;
  }
  if (current.length > 0) batches.push(current);
  return { batches, tooLarge };
}
