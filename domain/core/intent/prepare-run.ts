import type { Dialect } from '../../contract/sql/curated-sql';
import {
  addDays,
  conversionCountSql,
  type FeatureSpec,
  featureColumns,
  featureLists,
  TOP_FEATURES,
  TOP_TRAIT_VALUES,
  topEventKeysSql,
  topPagePathsSql,
  topTraitValuesSql,
} from '../../contract/sql/intent-sql';
import { literal } from '../../contract/sql/sql-text';
import { normalizeEventName } from '../messages/normalize-event-name';
import { type CutoffSlices, planSlices, type SliceName } from './slices';

// Features from 30 days of behaviour, a conversion within the next 14: Segment's own predictive
// traits use similar windows, and 14 days keeps labels observable a fortnight after the fact.
export const INTENT_DEFAULTS = { lookbackDays: 30, horizonDays: 14 } as const;
/**
 * How much history before a cutoff a features statement reads: who is who, who already converted, the
 * first-seen age and trait values are looked for within a year (or the look-back, if longer), so a
 * run's reads are bounded whatever the customer's history — a Replay of five years is read as one
 * (docs/intent.md, "What a run reads").
 */
const INTENT_HISTORY_DAYS = 365;
/** The longest windows a run takes: a year of behaviour, half a year to convert (the CLI and the AWS input). */
export const INTENT_LIMITS = { lookbackDays: 365, horizonDays: 180 } as const;

/**
 * Users a model trains on at most, at each cutoff (a seeded sample above: locally `sampleRows`, on AWS
 * the first by a hash of the person, drawn in SQL): both models are linear in rows, and 50,000 train in
 * seconds here and well inside the AWS function's memory and 15 minutes. Scoring is not bounded by it.
 */
export const MAX_TRAINING_USERS = 50_000;

/** Runs one reading statement and gives its rows: DuckDB locally, Athena on AWS. */
export type Ask = (sql: string) => Promise<Record<string, unknown>[]>;

/** Whole days from `from` to `to` (both YYYY-MM-DD). */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export interface IntentRequest {
  customer: string;
  /** The conversion, in any spelling: folded as ingest folds it. */
  event: string;
  aliases?: ReadonlyMap<string, string>;
  /** The scoring date; default: the day after the customer's latest event. */
  asOf?: string | undefined;
  lookbackDays?: number;
  horizonDays?: number;
}

export interface IntentRun {
  customer: string;
  event: string;
  eventKey: string;
  asOf: string;
  /** The training slice's cutoff: the features are the customer's most frequent events before it. */
  trainingCutoff: string;
  /** The report slice's cutoff (a horizon before `asOf`). */
  validationCutoff: string;
  /** Every cutoff with the slices it holds (slices.ts), oldest first. */
  cutoffs: CutoffSlices[];
  /** Two cutoffs only: the report shares its date with the calibration, the grade is at most Fair. */
  shortHistory: boolean;
  lookbackDays: number;
  horizonDays: number;
  /** The feature columns, in the order every matrix uses. */
  columns: string[];
  /** The feature query's spec at a cutoff. */
  spec(cutoff: string): FeatureSpec;
}

/**
 * What every intent run decides before it computes a feature, the same locally (`npm run intent`)
 * and on AWS (the planning function): the folded event, the dates — scoring at `asOf`, validating a
 * horizon before, training a horizon before that — and the features, from the customer's most
 * frequent events, pages and trait values before the training cutoff.
 */
export async function prepareIntentRun(
  ask: Ask,
  dialect: Dialect,
  table: (name: string) => string,
  request: IntentRequest,
): Promise<IntentRun> {
  const { customer } = request;
  const lookbackDays = request.lookbackDays ?? INTENT_DEFAULTS.lookbackDays;
  const horizonDays = request.horizonDays ?? INTENT_DEFAULTS.horizonDays;
  const name = normalizeEventName(request.event, request.aliases);
  // The one read of the whole history: its first and last event dates, one column (its files are
  // sorted by it, so each row group's dates are a run that Parquet stores in a few bytes).
  const [latest] = await ask(
    `SELECT CAST(max(event_date) AS varchar) AS d, CAST(min(event_date) AS varchar) AS first FROM ${table('events_curated')} WHERE customer_id = ${literal(customer)}`,
  );
  if (!latest?.d) throw new Error(`no events of ${customer} in the curated table: run the compaction first`);
  const asOf = request.asOf ?? addDays(String(latest.d), 1);
  const first = String(latest.first ?? latest.d);
  const slices = planSlices(asOf, horizonDays, lookbackDays, first);
  if (!slices) {
    // The training users' look-back must lie inside the history: before the first event, every
    // feature would be zero for part of the window and the model would learn from missing data.
    const earliest = addDays(asOf, -2 * horizonDays);
    const history = daysBetween(first, earliest);
    throw new Error(
      `a look-back of ${lookbackDays} days is longer than ${customer}'s history before the training cutoff ${earliest} (${Math.max(0, history)} days, from ${first}): use a look-back of at most ${Math.max(1, history)} days, or a later --as-of`,
    );
  }
  const cutoffOf = (slice: SliceName) => slices.cutoffs.find((c) => c.slices.includes(slice))!.cutoff;
  const trainingCutoff = cutoffOf('training');
  const validationCutoff = cutoffOf('report');
  const historyDays = Math.max(INTENT_HISTORY_DAYS, lookbackDays);
  // The feature candidates: the most frequent within the history a features statement reads.
  const since = addDays(trainingCutoff, -historyDays);
  const [conversions] = await ask(conversionCountSql(table, customer, name.key, since, asOf));
  if (Number(conversions?.n ?? 0) === 0)
    throw new Error(
      `${customer} has no "${name.canonical}" events (key ${name.key}) from ${since} to ${asOf} to learn from`,
    );
  const lists = featureLists(
    (await ask(topEventKeysSql(table, customer, trainingCutoff, TOP_FEATURES + 1, since))).map((r) =>
      String(r.event_key),
    ),
    (await ask(topPagePathsSql(dialect, table, customer, trainingCutoff, TOP_FEATURES, since))).map((r) =>
      String(r.path),
    ),
    (await ask(topTraitValuesSql(dialect, table, customer, trainingCutoff, TOP_TRAIT_VALUES, since))).map(
      (r) => ({
        trait: String(r.trait),
        value: String(r.value),
      }),
    ),
    name.key,
  );
  return {
    customer,
    event: name.canonical,
    eventKey: name.key,
    asOf,
    trainingCutoff,
    validationCutoff,
    cutoffs: slices.cutoffs,
    shortHistory: slices.shortHistory,
    lookbackDays,
    horizonDays,
    columns: featureColumns(lists),
    spec: (cutoff) => ({
      customerId: customer,
      eventKey: name.key,
      cutoff,
      lookbackDays,
      horizonDays,
      historyDays,
      ...lists,
    }),
  };
}

/**
 * One UNLOAD of a training sample of features for a cutoff (at most MAX_TRAINING_USERS, the first by a
 * MD5 of the person: the same users every run, as locally), to a prefix of its own under `intent/_features/<run>/`.
 */
export interface FeatureUnload {
  /** The slices it holds, joined by `-` (`training`, `training-stop`, …). */
  name: string;
  slices: SliceName[];
  cutoff: string;
  sql: string;
  prefix: string;
}

/**
 * The plan the state machine carries from step to step (plain JSON: no functions): a sampled UNLOAD
 * per cutoff, the features query of every user to score at `asOf` (Athena scores them with the model's
 * SQL, lambdas/intent-score), and where the scores go.
 */
export type PreparedIntent = Omit<IntentRun, 'spec'> & {
  runId: string;
  unloads: FeatureUnload[];
  currentFeaturesSql: string;
  scoresPrefix: string;
  /** The date's scores in Athena (a relation with a `probability` column): the check reads them. */
  scoresRelation: string;
  /** The run's table of shares in Athena (`tree`, `code`, `feature`, `share`): the scoring's reasons join it. */
  sharesRelation: string;
};
