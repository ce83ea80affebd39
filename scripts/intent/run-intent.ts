import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { scoresPath } from '../../lambdas/contract/curated-table';
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
} from '../../lambdas/contract/sql/intent-sql';
import { literal } from '../../lambdas/contract/sql/sql-text';
import { fitAndScore, sampleRows } from '../../lambdas/core/intent/fit-and-score';
import type { DecileRow } from '../../lambdas/core/intent/metrics';
import { normalizeEventName } from '../../lambdas/core/messages/normalize-event-name';
import { openLocalLake } from '../query/local-lake';

export interface IntentOptions {
  lakeRoot: string;
  customer: string;
  /** The conversion, in any spelling (`signed_up`, `Signed Up`): folded as ingest folds it. */
  event: string;
  aliases?: ReadonlyMap<string, string>;
  /** The scoring date (`YYYY-MM-DD`); default: the day after the customer's latest event. */
  asOf?: string;
  lookbackDays?: number;
  horizonDays?: number;
  /** Users a model trains on at most; above it, a seeded sample (said in the report). */
  maxTrainingUsers?: number;
  seed?: number;
  onStep?: (step: string) => void;
}

export interface IntentReport {
  customer: string;
  event: string;
  eventKey: string;
  asOf: string;
  trainingCutoff: string;
  validationCutoff: string;
  lookbackDays: number;
  horizonDays: number;
  features: string[];
  training: { users: number; converted: number; sampledFrom?: number };
  validation: { users: number; converted: number };
  models: { name: string; auc: number }[];
  chosen: string;
  validationAuc: number;
  deciles: DecileRow[];
  roc: { fpr: number; tpr: number }[];
  strongest: { feature: string; weight: number; words: string }[];
  scored: { users: number; file: string };
}

type FeatureRow = Record<string, string | number | null>;

// Features from 30 days of behaviour, a conversion within the next 14: Segment's own predictive
// traits use similar windows, and 14 days keeps labels observable a fortnight after the fact.
const LOOKBACK_DAYS = 30;
const HORIZON_DAYS = 14;
// Training on more than 50,000 users buys little AUC and costs minutes in the forest (ml-cart).
const MAX_TRAINING_USERS = 50_000;

/**
 * Lookalike intent scores for one customer and conversion event, over the local curated table:
 * features (lambdas/contract/sql/intent-sql.ts, DuckDB) at two cutoffs a horizon apart — train on the
 * earlier, validate on the later (a time split) — two models compared by validation AUC, the better
 * one retrained on the later cutoff and scoring every eligible user at `asOf`. Scores land as Parquet
 * under `scores/customer_id=<id>/event_key=<key>/as_of=<date>/`.
 */
export async function runIntent(options: IntentOptions): Promise<IntentReport> {
  const step = options.onStep ?? (() => {});
  const lookbackDays = options.lookbackDays ?? LOOKBACK_DAYS;
  const horizonDays = options.horizonDays ?? HORIZON_DAYS;
  const name = normalizeEventName(options.event, options.aliases);
  const eventKey = name.key;
  const lake = await openLocalLake(options.lakeRoot);
  const table = (n: string) => n;
  try {
    const customer = literal(options.customer);
    const latest = (
      await lake.query(
        `SELECT CAST(max(event_date) AS VARCHAR) AS d, count_if(event_key = ${literal(eventKey)}) AS conversions FROM events_curated WHERE customer_id = ${customer}`,
      )
    ).rows[0];
    if (!latest?.d)
      throw new Error(`no events of ${options.customer} in the curated table: run npm run compact first`);
    if (Number(latest.conversions) === 0)
      throw new Error(
        `${options.customer} has no "${name.canonical}" events (key ${eventKey}) to learn from`,
      );
    const asOf = options.asOf ?? addDays(String(latest.d), 1);
    const { trainingCutoff, validationCutoff } = intentCutoffs(asOf, horizonDays);

    step('choosing features');
    const lists = featureLists(
      (await lake.query(topEventKeysSql(table, options.customer, trainingCutoff, TOP_FEATURES + 1))).rows.map(
        (r) => String(r.event_key),
      ),
      (
        await lake.query(topPagePathsSql('duckdb', table, options.customer, trainingCutoff, TOP_FEATURES))
      ).rows.map((r) => String(r.path)),
      (
        await lake.query(
          topTraitValuesSql('duckdb', table, options.customer, trainingCutoff, TOP_TRAIT_VALUES),
        )
      ).rows.map((r) => ({
        trait: String(r.trait),
        value: String(r.value),
      })),
      eventKey,
    );
    const spec = (cutoff: string): FeatureSpec => ({
      customerId: options.customer,
      eventKey,
      cutoff,
      lookbackDays,
      horizonDays,
      ...lists,
    });
    const columns = featureColumns(lists);
    const matrix = (rows: FeatureRow[]) => rows.map((r) => columns.map((c) => Number(r[c] ?? 0)));
    const labels = (rows: FeatureRow[]) => rows.map((r) => Number(r.label));
    const features = async (cutoff: string) =>
      (await lake.query(featuresSql('duckdb', table, spec(cutoff)))).rows as FeatureRow[];

    step(`features at ${trainingCutoff} (training) and ${validationCutoff} (validation)`);
    const allTraining = await features(trainingCutoff);
    const validation = await features(validationCutoff);
    const maxUsers = options.maxTrainingUsers ?? MAX_TRAINING_USERS;
    const training = sampleRows(allTraining, maxUsers, options.seed ?? 7);
    for (const [what, rows] of [
      ['training', training],
      ['validation', validation],
    ] as const) {
      const converted = labels(rows).reduce((a, b) => a + b, 0);
      if (converted === 0 || converted === rows.length)
        throw new Error(
          `the ${what} cutoff has ${rows.length} eligible users and ${converted} conversions: a model needs both (more history, or another --as-of)`,
        );
    }

    step('training and validating two models, then scoring');
    const current = await features(asOf);
    const fitted = fitAndScore({
      columns,
      training: { rows: matrix(training), labels: labels(training) },
      validation: { rows: matrix(validation), labels: labels(validation) },
      current: matrix(current),
      maxUsers,
      seed: options.seed ?? 7,
    });
    const { scores, decile } = fitted;
    const file = join(options.lakeRoot, scoresPath(options.customer, eventKey, asOf));
    await writeScores(
      lake,
      options.lakeRoot,
      file,
      current.map((r, i) => ({
        user_id: r.user_id ?? null,
        anonymous_id: r.anonymous_id ?? null,
        person: r.person,
        score: scores[i]!,
        decile: decile[i]!,
      })),
    );

    return {
      customer: options.customer,
      event: name.canonical,
      eventKey,
      asOf,
      trainingCutoff,
      validationCutoff,
      lookbackDays,
      horizonDays,
      features: columns,
      training: {
        users: training.length,
        converted: labels(training).reduce((a, b) => a + b, 0),
        ...(allTraining.length > training.length ? { sampledFrom: allTraining.length } : {}),
      },
      validation: { users: validation.length, converted: labels(validation).reduce((a, b) => a + b, 0) },
      models: fitted.models,
      chosen: fitted.chosen,
      validationAuc: fitted.validationAuc,
      deciles: fitted.deciles,
      roc: fitted.roc,
      strongest: fitted.strongest,
      scored: { users: current.length, file },
    };
  } finally {
    lake.close();
  }
}

/** Scores to Parquet through DuckDB, written beside the target and renamed into place. */
async function writeScores(
  lake: Awaited<ReturnType<typeof openLocalLake>>,
  lakeRoot: string,
  file: string,
  rows: Record<string, unknown>[],
): Promise<void> {
  // Staged inside the lake, so the rename stays on one file system (atomic, never a copy).
  mkdirSync(join(lakeRoot, 'scores'), { recursive: true });
  const work = mkdtempSync(join(lakeRoot, 'scores', '.staging-'));
  try {
    const json = join(work, 'scores.json');
    writeFileSync(json, rows.map((r) => JSON.stringify(r)).join('\n'));
    const staged = join(work, 'scores.parquet');
    await lake.write(
      `COPY (SELECT * FROM read_json(${literal(json)}, format = 'newline_delimited', columns = {user_id: 'VARCHAR', anonymous_id: 'VARCHAR', person: 'VARCHAR', score: 'DOUBLE', decile: 'INTEGER'}) ORDER BY score DESC) TO ${literal(staged)} (FORMAT parquet)`,
    );
    mkdirSync(dirname(file), { recursive: true });
    renameSync(staged, file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
