import * as v from 'valibot';

/** A JSON Schema, as a plan holds it: checked as a schema when the plan is set (domain/core/quality). */
const JsonSchema = v.record(v.string(), v.unknown());

/**
 * A customer's tracking plan (the idea of Segment Protocols, RudderStack tracking plans, Snowplow
 * schemas): which track events it expects, the JSON Schema of each one's `properties`, the schema of
 * identify `traits`, and what to do with events that break it. Event names are canonical names (as
 * they land in `event`); any spelling of them matches.
 *
 * - `mode: flag` lands every event, with `planned` and `violations` in its record;
 * - `mode: quarantine` sends a violating event to quarantine with reason `plan_violation`;
 * - `allowUnplanned: false` makes an event the plan does not name a violation too.
 */
export const TrackingPlanSchema = v.object({
  mode: v.picklist(['flag', 'quarantine'], 'mode must be "flag" or "quarantine"'),
  events: v.record(v.pipe(v.string(), v.minLength(1)), v.object({ properties: v.optional(JsonSchema) })),
  identify: v.optional(v.object({ traits: v.optional(JsonSchema) })),
  allowUnplanned: v.optional(v.boolean(), true),
});
export type TrackingPlan = v.InferOutput<typeof TrackingPlanSchema>;

/** One way an event breaks its customer's plan. */
export const ViolationSchema = v.object({
  /** Where in the message: `event`, `properties.price`, `traits.email`. */
  path: v.string(),
  /** The JSON Schema keyword that failed (`type`, `required`, `enum`…), or `unplanned`. */
  rule: v.string(),
  message: v.string(),
});
export type Violation = v.InferOutput<typeof ViolationSchema>;

/**
 * The largest plan (as JSON) a customer may set. Plans travel in the authorizer's verdict, which API
 * Gateway caches per key (as aliases do), so a plan takes effect within the authorizer cache TTL; this
 * cap keeps that verdict small. 50 events with a dozen typed properties each fit in about 40 KiB.
 */
export const MAX_PLAN_BYTES = 64 * 1024;
