import { createHash } from 'node:crypto';
import type { AudienceDefinition, AudienceGroup } from '../../contract/audiences';

/**
 * Which group a user is in: a keyed hash of the audience's name and the user, so re-running or
 * refreshing an audience never moves anyone between target and holdout (the measurement depends on
 * it), and two audiences hold out independent users.
 *
 * @example groupOf('likely_signups', 'user-1', 10) // 'target' or 'holdout', the same every time
 */
export function groupOf(audience: string, user: string, holdoutPercent: number): AudienceGroup {
  const digest = createHash('sha256').update(audience).update('\n').update(user).digest();
  const unit = digest.readUInt32BE(0) / 2 ** 32;
  return unit < holdoutPercent / 100 ? 'holdout' : 'target';
}

/** The scored users in the top `topPercent` of percentiles (a percentile of 0.9 is the top 10 %). */
export function topMembers<T extends { percentile: number }>(scored: readonly T[], topPercent: number): T[] {
  const floor = 1 - topPercent / 100;
  return scored.filter((s) => s.percentile >= floor - 1e-12);
}

/** A version's entry in its audience's definition, from the change query's one row (audienceChangeSql). */
export function audienceVersion(
  version: number,
  asOf: string,
  createdAt: string,
  change: Record<string, unknown>,
): AudienceDefinition['versions'][number] {
  return {
    version,
    as_of: asOf,
    created_at: createdAt,
    target: Number(change.target ?? 0),
    holdout: Number(change.holdout ?? 0),
    entered: Number(change.entered ?? 0),
    left: Number(change.left ?? 0),
  };
}
