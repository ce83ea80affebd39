/**
 * The landing areas of the lake, which are also the S3 top-level prefixes, and the one rule that routes
 * a lake line to its area. Firehose's jq query, redrive, the local spool, the IAM prefixes and the Glue
 * tables all derive from here.
 */
export const LAKE_AREAS = ['events', 'quarantine', 'ledger'] as const;
export type LakeArea = (typeof LAKE_AREAS)[number];

/** Where Firehose writes what it could not deliver (`errors/<error-output-type>/…`). */
export const FIREHOSE_ERRORS_PREFIX = 'errors';

/** Every prefix Firehose writes: the areas and its error output. */
export const FIREHOSE_PREFIXES = [...LAKE_AREAS, FIREHOSE_ERRORS_PREFIX] as const;

/** The key prefix of everything Firehose writes under one of its prefixes: `events/`, `errors/`, … */
export const areaPrefix = (area: (typeof FIREHOSE_PREFIXES)[number]) => `${area}/`;

/**
 * The routing rule: a line names its area in its `area` field. Lines written before that field (read
 * back from errors/ by redrive) go to the first area whose marker field they have, else to `events`:
 * quarantine entries carry `reason`, ledger lines `ledger_version`, events neither.
 *
 * @internal
 */
export const AREA_MARKERS = [
  { area: 'quarantine', field: 'reason' },
  { area: 'ledger', field: 'ledger_version' },
] as const satisfies readonly { area: LakeArea; field: string }[];
const DEFAULT_AREA: LakeArea = 'events';

/** The area of a parsed lake line, by the routing rule. */
export function areaOf(record: object): LakeArea {
  const named = (record as { area?: unknown }).area;
  if (typeof named === 'string' && (LAKE_AREAS as readonly string[]).includes(named))
    return named as LakeArea;
  for (const { area, field } of AREA_MARKERS) if (Object.hasOwn(record, field)) return area;
  return DEFAULT_AREA;
}

/**
 * The same rule as a jq 1.6 expression, for Firehose's MetadataExtraction processor:
 * `(.area // (if has("reason") then "quarantine" elif has("ledger_version") then "ledger" else "events" end))`.
 *
 * @internal
 */
export function areaJq(): string {
  const [first, ...rest] = AREA_MARKERS;
  const branches = [
    `if has("${first.field}") then "${first.area}"`,
    ...rest.map(({ area, field }) => `elif has("${field}") then "${area}"`),
  ];
  return `(.area // (${branches.join(' ')} else "${DEFAULT_AREA}" end))`;
}

/**
 * The landing layout: `<area>/customer_id=<id>/received_dt=<YYYY-MM-DD>/`, by the date the request was
 * *received*. A client timestamp never decides a landing partition, so a stream's active partitions
 * grow with the customers it serves, never with the history a Replay spans (Firehose allows 500 active
 * partitions per stream by default, 5,000 at most, and overflow lands in errors/ after the 200).
 * Events are partitioned per customer; quarantine and ledger lines of every customer share one partition
 * per day (`customer_id=_all`; the customer is a column), so together they add two partitions per day.
 * Lines written before this layout are under `<area>/customer_id=<id>/dt=<event date>/`.
 */
export const SHARED_PARTITION_CUSTOMER = '_all';

/** The Athena tables of the first layout (`<area>/customer_id=<id>/dt=<event date>/`) are `<area>_v1`. */
export const LANDING_V1_SUFFIX = '_v1';

/** Whether an area's landing partitions are per customer. */
export const PARTITIONED_BY_CUSTOMER: Readonly<Record<LakeArea, boolean>> = {
  events: true,
  quarantine: false,
  ledger: false,
};

/** The `customer_id=` value of a line's landing partition. */
export function partitionCustomer(area: LakeArea, customerId: string): string {
  return PARTITIONED_BY_CUSTOMER[area] ? customerId : SHARED_PARTITION_CUSTOMER;
}

/**
 * The landing layout from its three parts as they appear in the path. Firehose fills them with its
 * `!{partitionKeyFromQuery:…}` placeholders; everyone else calls `landingPrefix`.
 */
export function landingPath(area: string, partitionCustomerId: string, receivedDt: string): string {
  return `${customerLandingPrefix(area, partitionCustomerId)}received_dt=${receivedDt}/`;
}

/** Every landing partition of one partition customer in an area: the prefix to list. */
export function customerLandingPrefix(area: string, partitionCustomerId: string): string {
  return `${area}/customer_id=${partitionCustomerId}/`;
}

/**
 * The landing prefix of a line, locally and in S3. Athena's projection template is this with
 * `${customer_id}` and `${received_dt}` placeholders; Firehose builds it from the jq keys below.
 */
export function landingPrefix(area: LakeArea, customerId: string, receivedDt: string): string {
  return landingPath(area, partitionCustomer(area, customerId), receivedDt);
}

/** The receive date of a line: every line carries `received_at` (ISO-8601, UTC). */
export function receivedDt(record: { received_at?: unknown }): string {
  return String(record.received_at).slice(0, 10);
}

/**
 * Firehose's MetadataExtraction query (jq 1.6) for the landing layout: the area, the partition's
 * customer and the receive date, by the same rules as `areaOf`, `partitionCustomer` and `receivedDt`.
 */
export function partitionJq(): Record<'area' | 'customer_id' | 'received_dt', string> {
  const shared = LAKE_AREAS.filter((area) => !PARTITIONED_BY_CUSTOMER[area])
    .map((area) => `. == "${area}"`)
    .join(' or ');
  return {
    area: areaJq(),
    customer_id: `(if (${areaJq()} | ${shared}) then "${SHARED_PARTITION_CUSTOMER}" else .customer_id end)`,
    received_dt: '.received_at[0:10]',
  };
}

/**
 * The delivery shard (Kinesis → Firehose pair) of a customer: a stable hash (FNV-1a, 32 bits) of its id,
 * modulo the number of shards. One customer's records always go through one pair, so each pair's
 * active partitions are bounded by the customers it serves; the ingest function, redrive and
 * replay-sim all place customers with this function.
 *
 * @example shardOf('acme', 1) // 0
 */
export function shardOf(customerId: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    hash ^= customerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/**
 * The area, partition customer and receive date of a landing object's key (as S3 names it in an event
 * notification, URL-encoded or not), or undefined for a key outside the landing layout.
 *
 * @example parseLandingKey('events/customer_id=acme/received_dt=2026-11-28/x.json.gz') // { area: 'events', customerId: 'acme', receivedDt: '2026-11-28' }
 */
export function parseLandingKey(
  rawKey: string,
): { area: LakeArea; customerId: string; receivedDt: string; key: string } | undefined {
  let key = rawKey;
  if (key.includes('%')) {
    try {
      key = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  }
  const match = /^([a-z]+)\/customer_id=([^/]+)\/received_dt=(\d{4}-\d{2}-\d{2})\/[^/]+$/.exec(key);
  if (!match || !(LAKE_AREAS as readonly string[]).includes(match[1]!)) return undefined;
  return { area: match[1] as LakeArea, customerId: match[2]!, receivedDt: match[3]!, key };
}
