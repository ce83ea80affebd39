import * as v from 'valibot';
import { DAY_PATTERN } from './formats';
import { ViolationSchema } from './tracking-plan';

/**
 * The lake's records, defined once. Each field has its schema (the TypeScript type is inferred from it)
 * and its Hive type for the Glue table; the line builder's key order, the Glue columns, the README
 * tables and the parsing of lines read back (redrive, reconciliation) all derive from these tables, and
 * test/contract/lake-records.test.ts fails when a copy drifts. Adding a field is one edit here.
 */

/** The Segment Spec message types (the `type` of an event). */
export const SUPPORTED_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;

/**
 * Why a message went to quarantine: stable codes, listed in docs/error-handling.md.
 *
 * @internal
 */
export const REASON_CODES = [
  'message_too_large',
  'message_too_deep',
  'not_an_object',
  'missing_type',
  'unsupported_type',
  'missing_identity',
  'missing_field',
  'invalid_timestamp',
  'invalid_field',
  'unreadable_body',
  'plan_violation',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Hive types Glue understands for these columns. */
export type GlueType =
  | 'int'
  | 'bigint'
  | 'string'
  | 'boolean'
  | 'struct<code:string,message:string>'
  | 'array<struct<path:string,rule:string,message:string>>';

export interface Field<S extends v.GenericSchema = v.GenericSchema> {
  schema: S;
  /** The Glue (Hive) type; objects kept as JSON text are `string`. */
  glue: GlueType;
  /**
   * Text whose schema admits no character JSON escapes (a date: digits and dashes), so a line writer may
   * put it between quotes as it is (domain/core/lake/line-writer.ts).
   */
  verbatim?: true;
}
const field = <S extends v.GenericSchema>(schema: S, glue: GlueType): Field<S> => ({ schema, glue });
/** A date field: `YYYY-MM-DD`, written verbatim. */
const dayField = (): Field<typeof Day> => ({ schema: Day, glue: 'string', verbatim: true });
export type Fields = Record<string, Field>;
type SchemaEntries<F extends Fields> = { [K in keyof F]: F[K]['schema'] };

function entries<F extends Fields>(fields: F): SchemaEntries<F> {
  return Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f.schema])) as SchemaEntries<F>;
}

const Text = v.string();
const NullableText = v.nullable(v.string());
const Iso = v.string();
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Day = v.pipe(v.string(), v.regex(DAY_PATTERN));
const JsonObject = v.record(v.string(), v.unknown());

/** The partition columns of the tables of the first layout (`<area>/customer_id=<id>/dt=<event date>/`). */
export const PARTITION_KEYS = ['customer_id', 'dt'] as const;

/**
 * One normalized event as it lands under `landingPrefix('events', …)` (lake-areas.ts), one per line, in this
 * key order (`message` last: the builder splices the message's JSON in). Snake_case, so Athena reads the
 * names as they are.
 */
export const EVENT_FIELDS = {
  schema_version: field(v.literal(1), 'int'),
  // Every line names its area: the one field Firehose's jq query routes by (lake-areas.ts).
  area: field(v.literal('events'), 'string'),
  message_id: field(Text, 'string'),
  message_id_generated: field(v.boolean(), 'boolean'),
  customer_id: field(Text, 'string'),
  dt: dayField(),
  request_id: field(Text, 'string'),
  type: field(v.picklist(SUPPORTED_TYPES), 'string'),
  event: field(NullableText, 'string'),
  event_raw: field(NullableText, 'string'),
  event_key: field(NullableText, 'string'),
  user_id: field(NullableText, 'string'),
  anonymous_id: field(NullableText, 'string'),
  timestamp: field(Iso, 'string'),
  timestamp_out_of_range: field(v.boolean(), 'boolean'),
  // The date the message itself says it happened (eventDate in the core): the curated table's partition.
  event_date: dayField(),
  // Whether that date came from `sentAt`, which a resend may change: the curated table then finds the
  // message's first copy by id, not by date (docs/lake.md, "Event date").
  event_date_from_sent_at: field(v.boolean(), 'boolean'),
  // The customer's tracking plan: whether it names this event (null without a plan), and how the event
  // breaks it (empty when clean). docs/data-quality.md.
  planned: field(v.nullable(v.boolean()), 'boolean'),
  violations: field(v.array(ViolationSchema), 'array<struct<path:string,rule:string,message:string>>'),
  received_at: field(Iso, 'string'),
  // The message as sent, as JSON text in Athena: json_extract_scalar(message, '$.properties.x').
  message: field(JsonObject, 'string'),
} as const;
/** @internal */
export const LakeEventSchema = v.object(entries(EVENT_FIELDS));
export type LakeEvent = v.InferOutput<typeof LakeEventSchema>;

const ReasonSchema = v.object({ code: v.picklist(REASON_CODES), message: Text });
export type Reason = v.InferOutput<typeof ReasonSchema>;

/** A message that could not be accepted, kept with its reason under `landingPrefix('quarantine', …)`. */
export const QUARANTINE_FIELDS = {
  schema_version: field(v.literal(1), 'int'),
  area: field(v.literal('quarantine'), 'string'),
  customer_id: field(Text, 'string'),
  dt: dayField(),
  received_at: field(Iso, 'string'),
  request_id: field(Text, 'string'),
  index: field(Count, 'int'),
  message_id: field(NullableText, 'string'),
  reason: field(ReasonSchema, 'struct<code:string,message:string>'),
  raw: field(v.optional(v.unknown()), 'string'),
  raw_body: field(v.optional(Text), 'string'),
  raw_truncated: field(v.optional(v.boolean()), 'boolean'),
  /**
   * The type the route gave a message that named none (`POST /v1/track`): redrive validates the message
   * with it again. Entries written before 2026-12-07 have none (docs/upgrading.md).
   */
  route_type: field(v.optional(Text), 'string'),
  /** With reason `plan_violation`: how the message breaks its customer's tracking plan. */
  violations: field(
    v.optional(v.array(ViolationSchema)),
    'array<struct<path:string,rule:string,message:string>>',
  ),
} as const;
/** @internal */
export const QuarantineEntrySchema = v.object(entries(QUARANTINE_FIELDS));
export type QuarantineEntry = v.InferOutput<typeof QuarantineEntrySchema>;

/** A quarantine line as read back from the lake: lines written before request ids have none. */
export const StoredQuarantineEntrySchema = v.object({
  ...entries(QUARANTINE_FIELDS),
  area: v.optional(v.literal('quarantine')),
  request_id: v.optional(Text),
});
export type StoredQuarantineEntry = v.InferOutput<typeof StoredQuarantineEntrySchema>;

/**
 * One line per request that got a final answer (2xx, or 400/501 for a lone invalid message after it was
 * quarantined), under `landingPrefix('ledger', …)`, stored only after the request's events
 * and quarantine entries were acknowledged — never for a request that ends in a retryable error.
 * Completeness joins it with the lines that carry the same `request_id`.
 */
export const LEDGER_FIELDS = {
  ledger_version: field(v.literal(2), 'int'),
  area: field(v.literal('ledger'), 'string'),
  request_id: field(Text, 'string'),
  source: field(v.picklist(['ingest', 'redrive']), 'string'),
  customer_id: field(Text, 'string'),
  dt: dayField(),
  received_at: field(Iso, 'string'),
  status: field(v.pipe(v.number(), v.integer()), 'int'),
  accepted: field(Count, 'bigint'),
  quarantined: field(Count, 'bigint'),
  duplicates: field(Count, 'bigint'),
} as const;
/** @internal */
export const LedgerEntrySchema = v.object(entries(LEDGER_FIELDS));
export type LedgerEntry = v.InferOutput<typeof LedgerEntrySchema>;

/** An event line as read back from the lake: lines written before request ids and the timestamp flag lack them. */
export const StoredLakeEventSchema = v.object({
  ...entries(EVENT_FIELDS),
  area: v.optional(v.literal('events')),
  planned: v.optional(v.nullable(v.boolean())),
  violations: v.optional(v.array(ViolationSchema)),
  request_id: v.optional(Text),
  timestamp_out_of_range: v.optional(v.boolean()),
  // Lines landed before 2026-11-29 have none: the curated table derives it from `message`.
  event_date: v.optional(Day),
  // Lines landed before 2026-12-03 have none: they are treated as dated by a stable field.
  event_date_from_sent_at: v.optional(v.boolean()),
});

/** A ledger line as read back: this version's, or a per-day line of version 1 (not joined by completeness). */
export const StoredLedgerEntrySchema = v.union([
  v.object({ ...entries(LEDGER_FIELDS), area: v.optional(v.literal('ledger')) }),
  v.object({ ledger_version: v.literal(1), customer_id: Text, dt: Day, accepted: Count }),
]);

/** A Glue column. */
export interface Column {
  name: string;
  type: string;
}

/** The Glue columns of a record: every field but the partition keys, which Glue reads from the path. */
export function glueColumns(fields: Fields, partitionKeys: readonly string[] = PARTITION_KEYS): Column[] {
  return Object.entries(fields)
    .filter(([name]) => !partitionKeys.includes(name))
    .map(([name, f]) => ({ name, type: f.glue }));
}
