import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { type AthenaLakeOptions, athenaQuery } from '../adapters/aws/athena-query';
import {
  addDays,
  type FeatureSpec,
  featureColumns,
  featureLists,
  featuresSql,
  intentCutoffs,
  TOP_FEATURES,
  TOP_TRAIT_VALUES,
  topEventKeysSql,
  topPagePathsSql,
  topTraitValuesSql,
} from '../contract/sql/intent-sql';
import { literal } from '../contract/sql/sql-text';
import { CUSTOMER_ID_PATTERN } from '../core/keys/tokens';
import { normalizeEventName } from '../core/messages/normalize-event-name';

/** What starts an intent run on AWS (the state machine's input). */
export const IntentRequestSchema = v.object({
  customer: v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'a customer id')),
  event: v.pipe(v.string(), v.minLength(1, 'an event name')),
  asOf: v.optional(v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-11-01'))),
  lookbackDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365)), 30),
  horizonDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(180)), 14),
});
export type IntentRequest = v.InferInput<typeof IntentRequestSchema>;

/** One UNLOAD of features for a cutoff, to a prefix of its own under `intent/_features/<run>/`. */
export interface FeatureUnload {
  name: 'training' | 'validation' | 'current';
  cutoff: string;
  sql: string;
  prefix: string;
}

export interface IntentPlan {
  runId: string;
  customer: string;
  event: string;
  eventKey: string;
  asOf: string;
  trainingCutoff: string;
  validationCutoff: string;
  lookbackDays: number;
  horizonDays: number;
  columns: string[];
  unloads: FeatureUnload[];
}

/**
 * The first step of an intent run on AWS: fold the event, find the dates (as `npm run intent` does)
 * and the customer's most frequent events and pages with Athena, and write the three feature
 * queries as UNLOADs to Parquet under the run's prefix — the state machine runs them.
 */
export async function planIntent(
  input: unknown,
  athena: AthenaLakeOptions,
  bucket: string,
): Promise<IntentPlan> {
  const request = v.parse(IntentRequestSchema, input);
  const name = normalizeEventName(request.event);
  const table = (n: string) => `"${athena.database}"."${n}"`;
  const latest = (
    await athenaQuery(
      `SELECT CAST(max(event_date) AS varchar) AS d FROM ${table('events_curated')} WHERE customer_id = ${literal(request.customer)}`,
      athena,
    )
  ).rows[0]?.d;
  if (!latest) throw new Error(`no events of ${request.customer} in events_curated`);
  const asOf = request.asOf ?? addDays(String(latest), 1);
  const { trainingCutoff, validationCutoff } = intentCutoffs(asOf, request.horizonDays);
  const lists = featureLists(
    (
      await athenaQuery(topEventKeysSql(table, request.customer, trainingCutoff, TOP_FEATURES + 1), athena)
    ).rows.map((r) => String(r.event_key)),
    (
      await athenaQuery(
        topPagePathsSql('athena', table, request.customer, trainingCutoff, TOP_FEATURES),
        athena,
      )
    ).rows.map((r) => String(r.path)),
    (
      await athenaQuery(
        topTraitValuesSql('athena', table, request.customer, trainingCutoff, TOP_TRAIT_VALUES),
        athena,
      )
    ).rows.map((r) => ({
      trait: String(r.trait),
      value: String(r.value),
    })),
    name.key,
  );
  const runId = randomUUID();
  const spec = (cutoff: string): FeatureSpec => ({
    customerId: request.customer,
    eventKey: name.key,
    cutoff,
    lookbackDays: request.lookbackDays,
    horizonDays: request.horizonDays,
    ...lists,
  });
  const unload = (unloadName: FeatureUnload['name'], cutoff: string): FeatureUnload => {
    const prefix = `intent/_features/${runId}/${unloadName}/`;
    return {
      name: unloadName,
      cutoff,
      prefix,
      sql: `UNLOAD (${featuresSql('athena', table, spec(cutoff))}) TO ${literal(`s3://${bucket}/${prefix}`)} WITH (format = 'PARQUET', compression = 'SNAPPY')`,
    };
  };
  return {
    runId,
    customer: request.customer,
    event: name.canonical,
    eventKey: name.key,
    asOf,
    trainingCutoff,
    validationCutoff,
    lookbackDays: request.lookbackDays,
    horizonDays: request.horizonDays,
    columns: featureColumns(lists),
    unloads: [
      unload('training', trainingCutoff),
      unload('validation', validationCutoff),
      unload('current', asOf),
    ],
  };
}
