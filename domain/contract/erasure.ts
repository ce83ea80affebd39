import * as v from 'valibot';
import { AUDIENCE_SYNC_RUNS_PREFIX, AUDIENCES_AREA } from './audiences';
import { SCORES_AREA } from './curated-table';
import { DAY_PATTERN } from './formats';
import { customerLandingPrefix, FIREHOSE_ERRORS_PREFIX, SHARED_PARTITION_CUSTOMER } from './lake-areas';

/**
 * Segment's `delete` (the partner spec's "Delete": "Partners are required to delete data for `userId`
 * in the request payload in line with GDPR and CCPA"), defined once: the message type, the window we
 * promise, the places an erase covers, and the audit entry each request keeps. docs/privacy.md.
 */
export const DELETE_TYPE = 'delete';

/**
 * Hours between a delete being recorded and the user's data being physically gone. GDPR Art. 17 asks
 * for "without undue delay" and at most a month (Art. 12(3)); 72 h leaves two retries of a daily pass.
 */
export const DEFAULT_ERASE_WINDOW_HOURS = 72;
/**
 * How long an ingest instance trusts its copy of a customer's delete requests (the erased-user filter)
 * before it asks DynamoDB again: a resend that slips past a stale copy lands, and the next pass removes
 * it. The cost model counts the filter's queries from it.
 */
export const ERASED_FILTER_TTL_MS = 60_000;

/** Bounds of the window setting: at least one pass a day must fit, and GDPR's month is the ceiling. */
export const ERASE_WINDOW_HOURS_RANGE = { min: 24, max: 30 * 24 } as const;

/**
 * A customer's recorded requests are executed together, in one pass over its partitions, once the
 * oldest has waited a third of the window: requests of the same day share a pass, and two more passes
 * fit inside the window if one fails.
 */
export function dueAfterMs(windowHours: number): number {
  return (windowHours * 3_600_000) / 3;
}

/** Every place a local erase rewrites, in the order it goes through them (the audit counts rows per place). */
export const ERASE_PLACES = [
  'events',
  'quarantine',
  'errors',
  'redriven',
  'spool_damaged',
  // Landing objects a reader set aside as damaged (`lake/_damaged/`, docs/operations.md): deleted whole.
  'damaged_objects',
  'curated',
  'scores',
  'audiences',
] as const;
export type ErasePlace = (typeof ERASE_PLACES)[number];

const Iso = v.pipe(v.string(), v.isoTimestamp());
const Day = v.pipe(v.string(), v.regex(DAY_PATTERN));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

/**
 * One delete request and its audit. While pending it holds the `user_id` (it is needed to find the
 * rows); once executed only `user_hash` (HMAC-SHA-256 under the destination's audit key) remains, so
 * the proof can be checked by whoever holds the id and the key, and nothing else of the user is kept.
 */
export const ErasureEntrySchema = v.object({
  version: v.literal(1),
  customer_id: v.string(),
  /** The delete message's messageId: a resent delete is the same request. */
  message_id: v.string(),
  status: v.picklist(['pending', 'done']),
  /** Present while pending only. */
  user_id: v.optional(v.string()),
  user_hash: v.string(),
  /** When we recorded it. */
  received_at: Iso,
  /**
   * The cut-off: Segment's `receivedAt` of the delete (ours when absent). Messages Segment received
   * up to this instant are erased; later ones are new data and kept.
   */
  cutoff_at: Iso,
  executed_at: v.optional(Iso),
  /** Keyed hashes of the anonymous ids the erase found linked to the user: later resends of theirs are dropped. */
  linked_hashes: v.optional(v.array(v.string())),
  /** Rows removed per place (ERASE_PLACES), the objects rewritten, and the verification's count (0). */
  rows_removed: v.optional(v.record(v.string(), Count)),
  objects_rewritten: v.optional(Count),
  remaining_after: v.optional(Count),
  /** Landing rows removed per receive day (`events`, `quarantine`): completeness subtracts them. */
  removed_by_day: v.optional(v.record(Day, v.object({ events: Count, quarantine: Count }))),
});
export type ErasureEntry = v.InferOutput<typeof ErasureEntrySchema>;

/** What ingest records for a delete message: the request before any audit field is known. */
export type ErasureRequest = Pick<
  ErasureEntry,
  'customer_id' | 'message_id' | 'user_id' | 'user_hash' | 'received_at' | 'cutoff_at'
> & { user_id: string };

/** The total of an entry's `rows_removed`. */
export function rowsRemoved(entry: Pick<ErasureEntry, 'rows_removed'>): number {
  return Object.values(entry.rows_removed ?? {}).reduce((sum, n) => sum + n, 0);
}

/**
 * The rows an erase removed from the landing zone, per customer, receive day and delete request: the
 * `erased_rows` table, which the `completeness` view subtracts (an erase is never "missing"). JSON
 * lines in objects directly under `erasure/erased-rows/` (one folder, so Athena's plain table reads
 * them all without partitions), in the lake bucket on AWS and under the local lake; counts only.
 */
export const ERASED_ROWS_TABLE = 'erased_rows';
export const ERASED_ROWS_PREFIX = 'erasure/erased-rows';
export const ERASED_ROWS_COLUMNS = [
  { name: 'customer_id', type: 'string' },
  { name: 'received_dt', type: 'string' },
  { name: 'request', type: 'string' },
  { name: 'events', type: 'bigint' },
  { name: 'quarantine', type: 'bigint' },
] as const satisfies readonly { name: string; type: 'string' | 'bigint' }[];
export type ErasedRowsLine = {
  customer_id: string;
  received_dt: string;
  request: string;
  events: number;
  quarantine: number;
};

/** The object of one erase pass's counts (`pass` names the pass: the same pass writes the same key). */
export function erasedRowsKey(customerId: string, pass: string): string {
  return `${ERASED_ROWS_PREFIX}/${customerId}.${pass}.json`;
}

/** The lines of an executed entry's counts (`removed_by_day`). */
export function erasedRowsLines(
  entry: Pick<ErasureEntry, 'customer_id' | 'message_id' | 'removed_by_day'>,
): ErasedRowsLine[] {
  return Object.entries(entry.removed_by_day ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, counts]) => ({
      customer_id: entry.customer_id,
      received_dt: day,
      request: entry.message_id,
      events: counts.events,
      quarantine: counts.quarantine,
    }));
}

/**
 * Where one customer's data about a user can be, as lake prefixes (the same keys locally under
 * `$DATA_DIR/lake` and in the lake bucket): its landing events, the shared quarantine partitions (and
 * its own, from the first layout), Firehose's error output and what redrive moved aside, its scores.
 * The curated table is erased by its engine (DuckDB locally, Athena's DELETE on AWS); the spool's
 * damaged segments exist only locally.
 */
export function erasePrefixes(customerId: string): { place: ErasePlace; prefix: string }[] {
  return [
    { place: 'events', prefix: customerLandingPrefix('events', customerId) },
    { place: 'quarantine', prefix: customerLandingPrefix('quarantine', SHARED_PARTITION_CUSTOMER) },
    { place: 'quarantine', prefix: customerLandingPrefix('quarantine', customerId) },
    { place: 'errors', prefix: `${FIREHOSE_ERRORS_PREFIX}/` },
    { place: 'redriven', prefix: `${REDRIVEN_PREFIX}/` },
    { place: 'scores', prefix: `${SCORES_AREA}/customer_id=${customerId}/` },
  ];
}

/**
 * Where else a customer's data about a user can be on AWS: its audiences' members (Parquet that Athena
 * UNLOADed, under `version=` folders beside the definitions) and its audience syncs' changed users.
 * Locally the audiences are erased as their own place (local/erasure/erasure-places.ts).
 */
export function awsAudiencePrefixes(customerId: string): { place: ErasePlace; prefix: string }[] {
  return [
    { place: 'audiences', prefix: `${AUDIENCES_AREA}/customer_id=${customerId}/` },
    { place: 'audiences', prefix: `${AUDIENCE_SYNC_RUNS_PREFIX}${customerId}/` },
  ];
}

/** Where redrive moves the Firehose error objects it delivered (`redriven/<original key>`). */
const REDRIVEN_PREFIX = `redriven/${FIREHOSE_ERRORS_PREFIX}`;

/** An erase pass's working files on AWS (the plan with the ids in clear, the counts): removed when it ends. */
export const ERASE_PASSES_PREFIX = 'erasure/_passes';

/**
 * The ids a pass erases, as the `erase_ids` table Athena joins with (JSON lines `{"id", "cutoff"}`,
 * one file per pass, partitions injected: every query names its customer and pass). The statements
 * name a pass, never a user: Athena's query history and Step Functions' execution history keep the
 * SQL for weeks, and it must hold no id once the pass has removed this file.
 */
export const ERASE_IDS_TABLE = 'erase_ids';
export const ERASE_IDS_COLUMNS = [
  { name: 'id', type: 'string' },
  { name: 'cutoff', type: 'string' },
  // How the id can be written inside a kept text (a quarantined raw body): eraseIdForms.
  { name: 'forms', type: 'array<string>' },
] as const;

/**
 * The ways an id can appear inside a text the lake keeps (a quarantined body, kept as the client sent
 * it, or a message Athena renders back as JSON text): as is, JSON-escaped, and JSON-escaped with every
 * non-ASCII character as `\uXXXX`. The quarantine query looks for any of them (a superset of what the
 * rewrite then removes, which decides line by line: domain/core/erasure/erasure-matcher.ts).
 */
export function eraseIdForms(id: string): string[] {
  const escaped = JSON.stringify(id).slice(1, -1);
  const ascii = escaped.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return [...new Set([id, escaped, ascii])];
}
export const erasePassPrefix = (customerId: string, passId: string) =>
  `${ERASE_PASSES_PREFIX}/${customerId}/${passId}/`;
export const eraseIdsKey = (customerId: string, passId: string) =>
  `${erasePassPrefix(customerId, passId)}ids/ids.json`;

/**
 * One request's audit as `npm run erase -- --list --json` prints it and the admin API answers it:
 * never the user id, even while pending.
 */
export function erasureAuditRow(e: ErasureEntry) {
  return {
    customerId: e.customer_id,
    messageId: e.message_id,
    status: e.status,
    userHash: e.user_hash,
    receivedAt: e.received_at,
    cutoffAt: e.cutoff_at,
    executedAt: e.executed_at ?? null,
    rowsRemoved: rowsRemoved(e),
    rowsRemovedByPlace: e.rows_removed ?? {},
    objectsRewritten: e.objects_rewritten ?? 0,
    linkedIds: e.linked_hashes?.length ?? 0,
    remainingAfter: e.remaining_after ?? null,
  };
}
