import * as v from 'valibot';
import { DEFAULT_SEGMENT_SLUG, SEGMENT_US_HOST } from '../domain/contract/audiences';
import { AWS_QUOTAS } from '../domain/contract/aws-quotas';
import { closest } from '../domain/contract/closest';
import {
  customerCeiling,
  type DeliveryCapacity,
  deliveryCapacity,
  MAX_DELIVERY_SHARDS,
} from '../domain/contract/delivery-capacity';
import { DEFAULT_ERASE_WINDOW_HOURS, ERASE_WINDOW_HOURS_RANGE } from '../domain/contract/erasure';
import { wholeNumber as wholeNumberIn } from '../domain/contract/formats';
import { DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS } from '../domain/contract/routes';

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A setting's whole number, from the contract's one definition; a wrong value names the range. */
const wholeNumber = (min: number, max: number) =>
  wholeNumberIn(min, max, `must be a whole number from ${min} to ${max}`);

/**
 * The stack's settings, from `cdk.json` context or `-c key=value`. Every option is documented in the
 * README ("Deploy to AWS"); defaults are chosen for a production install.
 */
const StackConfigSchema = v.pipe(
  v.object({
    /** `stream`: Kinesis on-demand in front of Firehose (Replay-scale). `direct`: Firehose Direct PUT (small installs). */
    delivery: v.optional(v.picklist(['stream', 'direct'], 'delivery must be "stream" or "direct"'), 'stream'),
    /** How long API Gateway caches an authorizer verdict per Authorization header: revocation takes effect within it. */
    authorizerCacheTtlSeconds: v.optional(wholeNumber(0, 3600), DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS),
    /** Stage throttling: steady requests per second and burst. */
    throttleRateLimit: v.optional(wholeNumber(1, 100_000), 5_000),
    throttleBurstLimit: v.optional(wholeNumber(1, 100_000), 5_000),
    /** Retention of every log group (days; a value CloudWatch Logs accepts). */
    logRetentionDays: v.optional(
      v.pipe(
        wholeNumber(1, 3653),
        v.check(
          (d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d),
          `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
        ),
      ),
      90,
    ),
    /** Move lake objects to S3 Standard-IA after this many days (0: never). */
    lakeInfrequentAccessAfterDays: v.optional(wholeNumber(0, 36_500), 90),
    /** Delete lake objects after this many days (0: never). */
    lakeExpireAfterDays: v.optional(wholeNumber(0, 36_500), 0),
    /** Firehose buffering: flush every N seconds or at M MiB (dynamic partitioning needs at least 64 MiB). */
    // With dynamic partitioning Firehose buffers 60–900 s: zero buffering is not available, and a
    // smaller value fails the deploy, not the synth.
    // 300 s by default: every open partition is an S3 object per interval, and each object costs a
    // Firehose object charge, an S3 PUT, an object-log message and two Athena GETs — for 2,000 customers,
    // at 60 s the curated table alone costs $0.152 per million events, at 300 s $0.063
    // (npm run cost -- --curated --customers 2000).
    firehoseBufferSeconds: v.optional(wholeNumber(60, 900), 300),
    firehoseBufferMiB: v.optional(wholeNumber(64, 128), 128),
    /**
     * Concurrency reserved for the authorizer, so a flood of ingest invocations cannot starve it: 50 by
     * default. It is called once per key per cache TTL, ~20 ms each: even 2,000 customers whose verdicts
     * all expire in the same second need ~40. 0: reserve none (an account whose concurrency quota is
     * below 150 — new accounts may start at 10 — cannot reserve 50 and keep Lambda's 100 unreserved).
     */
    authorizerReservedConcurrency: v.optional(wholeNumber(0, 10_000), 50),
    /**
     * Kinesis capacity. Unset: on-demand (starts at 4 MiB/s of writes and doubles its previous peak,
     * throttling while it grows). A number: that many provisioned shards (1 MiB/s and 1,000 records/s of
     * writes each), sized for a planned Replay with `npm run replay-sim`, in place from the first second.
     */
    streamShards: v.optional(wholeNumber(1, 10_000)),
    /**
     * How many customers the stack serves. The number of Kinesis → Firehose pairs (delivery shards)
     * follows from it and `activePartitionQuota` (domain/contract/delivery-capacity.ts): every
     * stream's active partitions stay within 80 % of the quota, midnight and redrive included. 150 fits
     * one pair under the default quota of 500 (one on-demand stream, ~$29 a month idle).
     */
    maxCustomers: v.optional(wholeNumber(1, 1_000_000), 150),
    /**
     * Fair share: events per second one customer may send through all ingest instances together (a
     * count per customer and second in DynamoDB, domain/core/ingest/fair-share.ts); above it, 429 with
     * Retry-After (Segment resends). 1,000 by default: ~2 MB/s of lake lines at 1.3 KB events, half of
     * what a fresh on-demand Kinesis stream takes (4 MB/s), so no one customer's Replay can throttle the
     * stream for everyone else. 0: no fair share (no table).
     */
    fairShareEventsPerSecond: v.optional(wholeNumber(0, 1_000_000), 1_000),
    /**
     * Provisioned concurrency on the ingest function's live alias (0: none, the default): instances
     * kept warm, billed by the hour whether used or not. Worth it only for steady traffic that cold starts
     * hurt; npm run replay-sim shows the concurrency a scenario needs.
     */
    provisionedConcurrency: v.optional(wholeNumber(0, 10_000), 0),
    /**
     * How a deployment moves traffic to a new release (lib/safe-deployment.ts): `canary` (10 % for
     * 5 minutes, the default), `linear` (10 % more a minute) or `all-at-once` (a first deploy). Every
     * style runs the pre-traffic check first and rolls back on the new version's alarms.
     */
    deploymentStyle: v.optional(
      v.picklist(
        ['canary', 'linear', 'all-at-once'],
        'deploymentStyle must be one of "canary", "linear", "all-at-once"',
      ),
      'canary',
    ),
    /** Kinesis stream retention (hours): how long events wait if Firehose cannot deliver. */
    streamRetentionHours: v.optional(wholeNumber(24, 8760), 24),
    /**
     * Hours within which a Segment `delete` is executed everywhere (docs/privacy.md): 72 by default,
     * well inside GDPR's month. Requests are due after a third of it; old object versions and Athena
     * results expire within it too.
     */
    eraseWindowHours: v.optional(
      wholeNumber(ERASE_WINDOW_HOURS_RANGE.min, ERASE_WINDOW_HOURS_RANGE.max),
      DEFAULT_ERASE_WINDOW_HOURS,
    ),
    /** The destination's slug in Segment's catalog (from the developer portal), for enable links. */
    segmentSlug: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'segmentSlug must be lower-case letters, digits and dashes'),
      ),
      DEFAULT_SEGMENT_SLUG,
    ),
    /** Where Segment returns the customer after enabling; default: this API's `/enable/callback` page. */
    enableRedirectUrl: v.optional(
      v.pipe(
        v.string(),
        v.url('enableRedirectUrl must be a URL'),
        v.startsWith('https://', 'enableRedirectUrl must be https'),
      ),
    ),
    /**
     * The stable endpoint: a custom domain for the HTTP API, with an ACM certificate of the stack's region
     * (both or neither), and optionally the Route 53 hosted zone to create its record in.
     */
    domainName: v.optional(
      v.pipe(
        v.string(),
        v.regex(
          /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/,
          'domainName must be a DNS name such as events.example.com',
        ),
      ),
    ),
    certificateArn: v.optional(
      v.pipe(
        v.string(),
        v.regex(
          /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
          'certificateArn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
        ),
      ),
    ),
    hostedZoneId: v.optional(
      v.pipe(v.string(), v.regex(/^Z[A-Z0-9]{1,31}$/, 'hostedZoneId must be a Route 53 zone id (Z…)')),
    ),
    /**
     * With a custom domain: turn off the API's default `execute-api` URL, so the domain is the only way in.
     * Opt-in: a Segment destination still configured with the execute-api URL would get 403, which Segment
     * does not retry (docs/upgrading.md).
     */
    disableExecuteApiEndpoint: v.optional(
      v.pipe(
        v.union(
          [v.boolean(), v.picklist(['true', 'false'])],
          'disableExecuteApiEndpoint must be true or false',
        ),
        v.transform((value) => value === true || value === 'true'),
      ),
      false,
    ),
    /**
     * Where audiences are synced: Segment's HTTP Tracking API, the US endpoint by default; an EU
     * workspace uses https://events.eu1.segmentapis.com.
     */
    segmentHost: v.optional(
      v.pipe(v.string(), v.regex(/^https:\/\/[a-z0-9.-]+$/, 'segmentHost must be an https:// origin')),
      SEGMENT_US_HOST,
    ),
    /**
     * The optional edge (lib/rate-limited-edge.ts): CloudFront with AWS WAF in front of the API, blocking
     * one `Authorization` header past this many requests per `edgeWindowSeconds` (429, which Segment
     * retries). 0: no edge. AWS WAF's rate limit is 10 at least, its evaluation window 60, 120, 300 or
     * 600 s (AWS WAF developer guide, "Rate-based rule high-level settings":
     * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
     */
    edgeRequestsPerKey: v.optional(
      v.pipe(
        wholeNumber(0, 2_000_000_000),
        v.check((n) => n === 0 || n >= 10, "must be 0 (no edge) or at least 10 (AWS WAF's minimum)"),
      ),
      0,
    ),
    edgeWindowSeconds: v.optional(
      v.pipe(
        wholeNumber(60, 600),
        v.picklist([60, 120, 300, 600], "must be 60, 120, 300 or 600 (AWS WAF's rate windows)"),
      ),
      300,
    ),
    /** Alarms go to an SNS topic; this address is subscribed to it when given. */
    alarmEmail: v.optional(v.pipe(v.string(), v.email('alarmEmail must be an e-mail address'))),
    /** Alarm thresholds (docs/operations.md has the runbook for each alarm). */
    alarmServerErrorRatePercent: v.optional(wholeNumber(1, 100), 1),
    alarmFreshnessSeconds: v.optional(wholeNumber(60, 86_400), 900),
    /** The Firehose stream's active-partition quota (500 unless raised), and the share of it that alarms. */
    activePartitionQuota: v.optional(
      wholeNumber(1, AWS_QUOTAS.activePartitionsMax),
      AWS_QUOTAS.activePartitionsDefault,
    ),
    alarmActivePartitionPercent: v.optional(wholeNumber(1, 100), 80),
    alarmQuarantineRatePercent: v.optional(wholeNumber(1, 100), 5),
    /**
     * The most one Athena query of the lake's workgroup may scan (GiB), so a query without a partition
     * filter cannot bill more than this × $5/TB: 1,024 GiB ($5) by default, far above the compaction's
     * largest statement (a Replay MERGE of 2 M rows reads ~1 GB).
     */
    athenaBytesScannedCutoffGiB: v.optional(wholeNumber(1, 1_000_000), 1_024),
    /** `retain` keeps the bucket and table when the stack is deleted; `destroy` is for throw-away stages. */
    removalPolicy: v.optional(
      v.picklist(['retain', 'destroy'], 'removalPolicy must be "retain" or "destroy"'),
      'retain',
    ),
  }),
  // S3 refuses a Standard-IA transition before 30 days, and an expiry before the transition.
  v.check(
    (c) => c.lakeInfrequentAccessAfterDays === 0 || c.lakeInfrequentAccessAfterDays >= 30,
    'lakeInfrequentAccessAfterDays must be 0 or at least 30 (an S3 rule)',
  ),
  v.check(
    (c) => !(c.domainName && !c.certificateArn),
    'domainName needs certificateArn (an ACM certificate for it)',
  ),
  v.check(
    (c) => !(c.certificateArn && !c.domainName),
    'certificateArn needs domainName (the domain it is for)',
  ),
  v.check((c) => !(c.hostedZoneId && !c.domainName), 'hostedZoneId needs domainName'),
  v.check(
    (c) => !(c.edgeRequestsPerKey > 0 && c.domainName),
    'edgeRequestsPerKey with domainName is not built yet: the edge has its own CloudFront URL (a custom domain on it needs a certificate in us-east-1)',
  ),
  v.check(
    (c) => !(c.disableExecuteApiEndpoint && !c.domainName),
    'disableExecuteApiEndpoint needs domainName: without a custom domain the execute-api URL is the only way in',
  ),
  // Kinesis keeps every record for its retention: longer than the erase window would keep a deleted
  // user's events past the promise.
  v.check(
    (c) => c.streamRetentionHours <= c.eraseWindowHours,
    "streamRetentionHours must not exceed eraseWindowHours (the stream would keep erased users' events longer)",
  ),
  v.check(
    (c) =>
      c.lakeExpireAfterDays === 0 ||
      c.lakeInfrequentAccessAfterDays === 0 ||
      c.lakeExpireAfterDays > c.lakeInfrequentAccessAfterDays,
    'lakeExpireAfterDays must be after lakeInfrequentAccessAfterDays',
  ),
);

type StackSettings = v.InferOutput<typeof StackConfigSchema>;
/** The settings, and what follows from them: the delivery capacity. */
export type StackConfig = StackSettings & { capacity: DeliveryCapacity };
/** @internal */
export const CONFIG_KEYS = Object.keys(StackConfigSchema.entries) as (keyof StackSettings)[];

/** Context keys that are not settings: CDK's own, its feature flags, and the stack name. */
const NOT_SETTINGS =
  /^(@aws-cdk\/|aws:|aws-cdk:|cdk[-:]|cli-telemetry$|acknowledged-issue-numbers$|stackName$)/;

/** The stack's settings when none is given: what the commands that model the stack (cost, redrive) assume. */
export const STACK_DEFAULTS: StackConfig = readStackConfig({});

/** The settings among a CDK app's context (cdk.json and `-c`): everything but CDK's own keys. */
export function settingsFromContext(context: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(context).filter(([key]) => !NOT_SETTINGS.test(key)));
}

/**
 * Settings of earlier releases that are gone, with what replaces them (docs/upgrading.md): an old
 * `cdk deploy -c …` line gets this, not a "did you mean" pointing at an unrelated setting.
 */
const RETIRED_SETTINGS: Record<string, string> = {
  deliveryShards:
    'the delivery shards now follow from maxCustomers (and activePartitionQuota): drop deliveryShards and set maxCustomers to the customers you serve (docs/upgrading.md, "deliveryShards is gone")',
};

/** Validates the settings at synth, with a message naming the setting. */
export function readStackConfig(context: Record<string, unknown>): StackConfig {
  const retired = Object.keys(context).find((key) => key in RETIRED_SETTINGS);
  if (retired) throw new Error(`Retired setting "${retired}": ${RETIRED_SETTINGS[retired]}.`);
  const unknown = Object.keys(context).filter((key) => !(CONFIG_KEYS as string[]).includes(key));
  if (unknown.length > 0) {
    const [first] = unknown;
    throw new Error(
      `Unknown setting "${first}"${unknown.length > 1 ? ` (and ${unknown.slice(1).join(', ')})` : ''}: did you mean "${closest(first!, CONFIG_KEYS)}"? Every setting is listed in the README, "Deploy to AWS".`,
    );
  }
  const result = v.safeParse(StackConfigSchema, context);
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue);
    throw new Error(`Invalid setting${path ? ` ${path}` : ''}: ${issue.message}`);
  }
  return { ...result.output, capacity: capacityOf(result.output) };
}

/** The delivery shards `maxCustomers` needs, or an error naming the limit it is beyond. */
function capacityOf(settings: StackSettings): DeliveryCapacity {
  const { maxCustomers, activePartitionQuota } = settings;
  const capacity = deliveryCapacity(maxCustomers, activePartitionQuota);
  if (capacity) return capacity;
  const ceiling = (quota: number) => customerCeiling(MAX_DELIVERY_SHARDS, quota).toLocaleString('en-US');
  const most = AWS_QUOTAS.activePartitionsMax;
  throw new Error(
    activePartitionQuota < most && deliveryCapacity(maxCustomers, most)
      ? `Invalid setting maxCustomers: ${maxCustomers} is more than ${MAX_DELIVERY_SHARDS} delivery shards serve with activePartitionQuota=${activePartitionQuota} (at most ${ceiling(activePartitionQuota)}); ask AWS for a higher Firehose active-partition quota (up to ${most.toLocaleString('en-US')}) and set activePartitionQuota to it`
      : `Invalid setting maxCustomers: ${maxCustomers} is more than the quotas can ever give: at most ${ceiling(most)} customers (${MAX_DELIVERY_SHARDS} delivery shards, the default on-demand Kinesis streams per account, at ${most.toLocaleString('en-US')} active partitions each, the most Firehose grants)`,
  );
}
