import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { type AthenaLakeOptions, athenaQuery } from '../../adapters/aws/athena-query';
import {
  INTENT_FEATURES_PREFIX,
  INTENT_SHARES_COLUMNS,
  INTENT_SHARES_TABLE,
  SCORES_AREA,
  SCORES_TABLE,
  scoresPartitionPath,
} from '../../domain/contract/curated-table';
import { CustomerIdSchema, DaySchema } from '../../domain/contract/formats';
import { featuresSql } from '../../domain/contract/sql/intent-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import {
  type FeatureUnload,
  INTENT_DEFAULTS,
  INTENT_LIMITS,
  MAX_TRAINING_USERS,
  type PreparedIntent,
  prepareIntentRun,
} from '../../domain/core/intent/prepare-run';
import type { CutoffSlices } from '../../domain/core/intent/slices';

/** What starts an intent run on AWS (the state machine's input). */
const IntentRequestSchema = v.object({
  customer: CustomerIdSchema,
  event: v.pipe(v.string(), v.minLength(1, 'an event name')),
  asOf: v.optional(DaySchema),
  lookbackDays: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(INTENT_LIMITS.lookbackDays)),
    INTENT_DEFAULTS.lookbackDays,
  ),
  horizonDays: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(INTENT_LIMITS.horizonDays)),
    INTENT_DEFAULTS.horizonDays,
  ),
});

/**
 * The first step of an intent run on AWS: fold the event, find the dates (as `npm run intent` does)
 * and the customer's most frequent events and pages with Athena, and write each cutoff's sample of
 * features as an UNLOAD to Parquet under the run's prefix — the state machine runs them.
 */
export async function prepareIntent(
  input: unknown,
  athena: AthenaLakeOptions,
  bucket: string,
): Promise<PreparedIntent> {
  const request = v.parse(IntentRequestSchema, input);
  const table = (n: string) => `"${athena.database}"."${n}"`;
  const plan = await prepareIntentRun(
    async (sql) => (await athenaQuery(sql, athena)).rows,
    'athena',
    table,
    request,
  );
  const runId = randomUUID();
  const unload = ({ cutoff, slices }: CutoffSlices): FeatureUnload => {
    const unloadName = slices.join('-');
    const prefix = `${INTENT_FEATURES_PREFIX}${runId}/${unloadName}/`;
    return {
      name: unloadName,
      slices,
      cutoff,
      prefix,
      sql: `UNLOAD (${featuresSql('athena', table, plan.spec(cutoff), MAX_TRAINING_USERS)}) TO ${literal(`s3://${bucket}/${prefix}`)} WITH (format = 'PARQUET', compression = 'SNAPPY')`,
    };
  };
  const { spec: _spec, ...planned } = plan;
  return {
    runId,
    ...planned,
    unloads: plan.cutoffs.map(unload),
    currentFeaturesSql: featuresSql('athena', table, plan.spec(plan.asOf)),
    scoresRelation: `(SELECT probability FROM ${table(SCORES_TABLE)} WHERE customer_id = ${literal(plan.customer)} AND event_key = ${literal(plan.eventKey)} AND as_of = DATE ${literal(plan.asOf)})`,
    scoresPrefix: `${SCORES_AREA}/${scoresPartitionPath(plan.customer, plan.eventKey, plan.asOf)}`,
    sharesRelation: `(SELECT ${INTENT_SHARES_COLUMNS.map((c) => c.name).join(', ')} FROM ${table(INTENT_SHARES_TABLE)} WHERE run_id = ${literal(runId)})`,
  };
}
