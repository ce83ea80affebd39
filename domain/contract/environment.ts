import * as v from 'valibot';

const Name = v.pipe(v.string(), v.minLength(1));

/**
 * The ingest function's environment: `DELIVERY=stream` with `STREAM_NAME` (Kinesis in front of
 * Firehose, the default), or `DELIVERY=direct` with `DELIVERY_STREAM_NAME` (Firehose Direct PUT). With
 * several delivery shards the name is a comma-separated list, shard 0 first (`shardOf` places customers).
 * lib/ builds it (typed by `IngestEnvironment`); the function reads it with this schema at cold start.
 */
// Events per second one customer may send through all ingest instances together, counted in the
// FAIR_SHARE_TABLE (domain/core/ingest/fair-share.ts); unset: no limit.
const FairShare = v.optional(
  v.pipe(v.string(), v.regex(/^[1-9]\d*$/, 'must be a whole number of events per second')),
);
const FairShareTable = v.optional(Name);
// Segment `delete` requests are recorded in ERASURE_TABLE, their user ids hashed under the audit key in
// the AUDIT_KEY_SECRET secret (lib/user-erasure.ts); without them a delete is answered 503, never lost.
const Erasure = {
  ERASURE_TABLE: v.optional(Name),
  AUDIT_KEY_SECRET: v.optional(Name),
  /** The stack's maxCustomers: how many customers' delete requests an instance keeps in its cache. */
  MAX_CUSTOMERS: v.optional(v.pipe(v.string(), v.regex(/^[1-9]\d*$/, 'must be a whole number'))),
};

export const IngestEnvSchema = v.variant('DELIVERY', [
  v.object({
    DELIVERY: v.literal('stream'),
    STREAM_NAME: Name,
    FAIR_SHARE_EVENTS_PER_SECOND: FairShare,
    FAIR_SHARE_TABLE: FairShareTable,
    ...Erasure,
  }),
  v.object({
    DELIVERY: v.literal('direct'),
    DELIVERY_STREAM_NAME: Name,
    FAIR_SHARE_EVENTS_PER_SECOND: FairShare,
    FAIR_SHARE_TABLE: FairShareTable,
    ...Erasure,
  }),
]);
export type IngestEnvironment = v.InferInput<typeof IngestEnvSchema>;

/** The erase pass's steps function (lib/user-erasure.ts). */
export const ErasureEnvSchema = v.object({
  ERASURE_TABLE: Name,
  AUDIT_KEY_SECRET: Name,
  LAKE_BUCKET: Name,
  RESULTS_BUCKET: Name,
  DATABASE: Name,
  /** Hours within which a delete is executed: requests are due after a third of it. */
  ERASE_WINDOW_HOURS: v.pipe(v.string(), v.regex(/^[1-9]\d*$/, 'must be a whole number of hours')),
});
export type ErasureEnvironment = v.InferInput<typeof ErasureEnvSchema>;

/** The authorizer's and the admin function's environment: the tokens table. */
export const TokensEnvSchema = v.object({ TOKENS_TABLE: Name });
export type TokensEnvironment = v.InferInput<typeof TokensEnvSchema>;

/** The admin function's environment: the tokens table and what the Segment enable link needs. */
export const AdminEnvSchema = v.object({
  TOKENS_TABLE: Name,
  SEGMENT_SLUG: Name,
  ENABLE_REDIRECT_URL: v.pipe(v.string(), v.url()),
  /** Segment's enable page; the handler's default when unset. */
  ENABLE_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  /** The stack's `maxCustomers`: issuing a key past it warns (domain/core/capacity/capacity-warning.ts). */
  MAX_CUSTOMERS: v.optional(v.pipe(v.string(), v.regex(/^[1-9]\d*$/, 'must be a whole number'))),
  /** The erasure table (lib/user-erasure.ts): `GET …/deletions` lists a customer's delete requests. */
  ERASURE_TABLE: v.optional(Name),
});
export type AdminEnvironment = v.InferInput<typeof AdminEnvSchema>;

/** The intent job's functions: the Glue database and Athena workgroup, and the lake bucket. */
export const IntentEnvSchema = v.object({ DATABASE: Name, WORKGROUP: Name, LAKE_BUCKET: Name });
export type IntentEnvironment = v.InferInput<typeof IntentEnvSchema>;

/** The compaction steps' function: the object log, the lake and results buckets, the Glue database. */
export const CompactionEnvSchema = v.object({
  OBJECT_LOG_URL: v.pipe(v.string(), v.url()),
  LAKE_BUCKET: Name,
  RESULTS_BUCKET: Name,
  DATABASE: Name,
});
export type CompactionEnvironment = v.InferInput<typeof CompactionEnvSchema>;

/** The deployment's pre-traffic check: the new versions it checks, and the tokens table for its key. */
export const DeployCheckEnvSchema = v.object({
  CHECK_PHASE: v.picklist(['pre', 'post']),
  INGEST_VERSION: Name,
  AUTHORIZER_VERSION: Name,
  TOKENS_TABLE: Name,
  /** The URL Segment is given: the post-traffic checks go through it. */
  ENDPOINT_URL: v.pipe(v.string(), v.url()),
});
export type DeployCheckEnvironment = v.InferInput<typeof DeployCheckEnvSchema>;

/**
 * The audience functions: Athena (database, workgroup), the lake, the Secrets Manager name prefix of
 * the customers' Segment write keys (`<prefix><customer>`), and Segment's API host.
 */
export const AudienceEnvSchema = v.object({
  DATABASE: Name,
  WORKGROUP: Name,
  LAKE_BUCKET: Name,
  WRITE_KEY_SECRET_PREFIX: Name,
  SEGMENT_HOST: v.pipe(v.string(), v.url()),
});
export type AudienceEnvironment = v.InferInput<typeof AudienceEnvSchema>;

/** The weekly refresh's planning function: the lake it lists. */
export const RefreshEnvSchema = v.object({ LAKE_BUCKET: Name });
export type RefreshEnvironment = v.InferInput<typeof RefreshEnvSchema>;
