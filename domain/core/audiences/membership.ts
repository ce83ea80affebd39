import type { AudienceDefinition } from '../../contract/audiences';

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
