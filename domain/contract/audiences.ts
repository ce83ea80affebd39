import * as v from 'valibot';

/**
 * Audiences built from predictions (`npm run audience`): the users in the top share of a scoring's
 * percentiles, each in `target` (acted on) or `holdout` (left alone, to measure the effect). Locally
 * Parquet per audience version,
 * `audiences/customer_id=<id>/audience=<name>/version=<n>/members.parquet`, read as the `audiences`
 * table; the audience's definition and its history beside it in `audience.json`.
 */
export const AUDIENCES_TABLE = 'audiences';
export const AUDIENCES_AREA = 'audiences';
export const AUDIENCE_MEMBERS_FILE = 'members.parquet';
export const AUDIENCE_DEFINITION_FILE = 'audience.json';

/** An audience name: snake case, as it becomes a trait name (`audience_<name>`) downstream. */
export const AUDIENCE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** The columns of a members file, then the partitions of its path. */
export const AUDIENCE_COLUMNS = [
  { name: 'user_id', type: 'string' },
  { name: 'group', type: 'string' },
  { name: 'percentile', type: 'double' },
  { name: 'created_at', type: 'string' },
] as const;
export const AUDIENCE_PARTITIONS = [
  { name: 'customer_id', type: 'string' },
  { name: 'audience', type: 'string' },
  { name: 'version', type: 'int' },
] as const;

export const AUDIENCE_GROUPS = ['target', 'holdout'] as const;
export type AudienceGroup = (typeof AUDIENCE_GROUPS)[number];

export function audienceFolder(customerId: string, audience: string): string {
  return `${AUDIENCES_AREA}/customer_id=${customerId}/audience=${audience}/`;
}
export function audienceMembersPath(customerId: string, audience: string, version: number): string {
  return `${audienceFolder(customerId, audience)}version=${version}/${AUDIENCE_MEMBERS_FILE}`;
}

/** An audience's definition and each version it had (created, then refreshed after rescoring). */
export const AudienceDefinitionSchema = v.object({
  version: v.literal(1),
  name: v.pipe(v.string(), v.regex(AUDIENCE_NAME_PATTERN)),
  customer_id: v.string(),
  event: v.string(),
  event_key: v.string(),
  /** The top share of percentiles, in percent (0, 100]. */
  top: v.number(),
  /** The share held out, in percent [0, 50]. */
  holdout: v.number(),
  created_at: v.string(),
  versions: v.array(
    v.object({
      version: v.number(),
      as_of: v.string(),
      created_at: v.string(),
      target: v.number(),
      holdout: v.number(),
      entered: v.number(),
      left: v.number(),
    }),
  ),
});
export type AudienceDefinition = v.InferOutput<typeof AudienceDefinitionSchema>;

/** On AWS, each audience's latest lift beside its definition (written at every refresh). */
export const AUDIENCE_LIFT_FILE = 'lift.json';

/**
 * On AWS, a sync's working files: the changed users Athena UNLOADs per run (removed by a lifecycle
 * rule after a week), and per customer what the last successful sync sent (audience → version, scoring).
 */
export const AUDIENCE_SYNC_RUNS_PREFIX = 'audience-sync/runs/';
export const AUDIENCE_SYNC_STATE_PREFIX = 'audience-sync/state/';
export const audienceSyncRunPrefix = (customerId: string, runId: string) =>
  `${AUDIENCE_SYNC_RUNS_PREFIX}${customerId}/${runId}/`;
export const audienceSyncStateKey = (customerId: string) => `${AUDIENCE_SYNC_STATE_PREFIX}${customerId}.json`;

export const AudienceSyncStateSchema = v.object({
  version: v.literal(1),
  audiences: v.record(v.string(), v.object({ version: v.number(), as_of: v.string() })),
  /** When the sync ran (ISO): visitors linked to a user since are sent again. Absent before it was kept. */
  synced_at: v.optional(v.string()),
  /**
   * Per predicted event (its key), the scoring whose predictions were last sent, and the audience
   * versions whose holdouts applied then. Absent in a state from before one prediction per person.
   */
  predictions: v.optional(
    v.record(
      v.string(),
      v.object({
        as_of: v.string(),
        holdouts: v.array(v.object({ name: v.string(), version: v.number() })),
      }),
    ),
  ),
  /** The customer opted in to prediction traits for visitors scored under their anonymous id. */
  anonymous_predictions: v.optional(v.boolean()),
});
export type AudienceSyncState = v.InferOutput<typeof AudienceSyncStateSchema>;

/**
 * A sync run's changed users are UNLOADed in this many shards (by a hash of the user), one file or more
 * each, one Distributed Map item each (its S3 listing reader:
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html). Under the 100
 * partitions a statement writes (ATHENA_RULES.partitionsPerStatement; UNLOAD with partitioned_by:
 * https://docs.aws.amazon.com/athena/latest/ug/unload.html), held by test/contract/audience-sql.test.ts;
 * 100 M changed users make ~1.6 M a shard.
 */
export const AUDIENCE_SYNC_SHARDS = 64;

/** Segment's HTTP Tracking API in the US; `https://events.eu1.segmentapis.com` serves the EU. */
export const SEGMENT_US_HOST = 'https://api.segment.io';

/** On AWS, a customer's Segment write key is the secret `<stack name>/segment-write-key/<customer>`. */
export const writeKeySecretPrefix = (stackName: string) => `${stackName}/segment-write-key/`;

/**
 * What our calls to Segment name as their library (`context.library`): the package's name and version
 * (test/contract/one-fact.test.ts holds them equal to package.json's).
 */
export const DESTINATION_LIBRARY = { name: 'segment-lake-destination', version: '0.1.0' } as const;

/** The destination's slug in Segment's catalog, for enable links, unless a deploy or a command names another. */
export const DEFAULT_SEGMENT_SLUG = 'segment-lake-destination';
