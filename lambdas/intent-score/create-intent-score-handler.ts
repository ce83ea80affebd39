import { gunzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import * as v from 'valibot';
import {
  INTENT_FEATURES_PREFIX,
  INTENT_REPORTS_PREFIX,
  intentSharesPrefix,
  SCORES_AREA,
  SCORES_PARTITIONS,
  scoresPartitionPath,
} from '../../domain/contract/curated-table';
import { PredictionSchema, predictionPath } from '../../domain/contract/predictions';
import { ATHENA_RULES } from '../../domain/contract/sql/athena-rules';
import { literal } from '../../domain/contract/sql/sql-text';
import type { ObjectStore } from '../../domain/core/common/ports';
import { fitPlanned } from '../../domain/core/intent/fit-and-score';
import type { Model } from '../../domain/core/intent/models';
import { MAX_TRAINING_USERS, type PreparedIntent } from '../../domain/core/intent/prepare-run';
import { savedPrediction } from '../../domain/core/intent/refresh';
import {
  checkScoring,
  type ExpectedScores,
  type SpreadRow,
  scoreSpreadSql,
} from '../../domain/core/intent/score-check';
import { athenaScoresSql } from '../../domain/core/intent/score-sql';

type Row = Record<string, unknown>;

/** A Parquet file starts with the magic `PAR1`. */
const isParquet = (bytes: Buffer) => bytes.subarray(0, 4).toString('latin1') === 'PAR1';

/** Parquet's 64-bit integers arrive as BigInt: as numbers, which every count here fits. */
const plain = (row: Record<string, unknown>): Row =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));

/** Every row of every object UNLOAD wrote under a prefix: Parquet (the state machine's), or JSON lines. */
async function readUnloaded(objects: ObjectStore, bucket: string, prefix: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const key of await objects.listKeys(bucket, prefix)) {
    const bytes = await objects.readBytes(bucket, key);
    if (isParquet(bytes)) {
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      for (const row of await parquetReadObjects({ file })) rows.push(plain(row as Record<string, unknown>));
      continue;
    }
    const text = key.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
    for (const line of text.split('\n')) if (line.trim()) rows.push(JSON.parse(line) as Row);
  }
  return rows;
}

/** `scores/<name>=<value>/…/`, one folder per partition of the scores table, no more, no fewer. */
function isScoresPartition(prefix: string): boolean {
  if (!prefix.startsWith(`${SCORES_AREA}/`) || !prefix.endsWith('/')) return false;
  const folders = prefix.slice(SCORES_AREA.length + 1, -1).split('/');
  return (
    folders.length === SCORES_PARTITIONS.length &&
    folders.every((folder, i) => {
      const [name, value] = folder.split('=');
      return name === SCORES_PARTITIONS[i]!.name && !!value && value !== '..' && value !== '.';
    })
  );
}

/**
 * Removes a run's feature samples (`intent/_features/<run id>/`) after it finished, and when a step
 * failed (the state machine's catch) also what a failed scoring UNLOAD may have written under the
 * scores prefix, so no partial scores are read as the date's.
 */
export async function removeFeatures(
  input: { runId: string; scoresPrefix?: string | undefined },
  objects: ObjectStore,
  bucket: string,
): Promise<{ removed: number }> {
  if (!/^[0-9a-f-]{36}$/.test(input.runId)) throw new Error(`not a run id: ${input.runId}`);
  let removed = await objects.removeUnder(bucket, `${INTENT_FEATURES_PREFIX}${input.runId}/`);
  if (input.scoresPrefix !== undefined) {
    if (!isScoresPartition(input.scoresPrefix))
      throw new Error(`not a scores partition: ${input.scoresPrefix}`);
    removed += await objects.removeUnder(bucket, input.scoresPrefix);
  }
  return { removed };
}

/** What the training step hands to Athena's scoring and to the last step. */
export interface TrainedIntent {
  runId: string;
  customer: string;
  event: string;
  eventKey: string;
  asOf: string;
  lookbackDays: number;
  horizonDays: number;
  chosen: string;
  validationAuc: number;
  grade: string;
  trainingUsers: number;
  /** The UNLOAD that scores every user at `asOf` with the chosen model, into the scores partition. */
  scoreSql: string;
  scoresPrefix: string;
  reportKey: string;
  /** The report slice's spread, and the UNLOAD of the scores' spread in its bins (score-check.ts). */
  expectedScores: ExpectedScores;
  checkSql: string;
}

/**
 * The scoring statement must fit Athena's query string (ATHENA_RULES.queryStringBytes, 262,144 bytes)
 * and, with the rest of the step's output (the check statement and the expected spread, a few KB), Step
 * Functions' 256 KiB state payload (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html):
 * 224 KiB, 32 KiB left for the rest. An ensemble too large for that is an error, never a silent
 * truncation. The Athena-rules test holds 200 trees (the most boosting grows) with every person's
 * reasons under it.
 *
 * @internal
 */
export const MAX_SCORE_SQL_BYTES = ATHENA_RULES.queryStringBytes.limit - 32 * 1024;

/**
 * The scoring statement within MAX_SCORE_SQL_BYTES as the state carries it: JSON-escaped (each `"` of a
 * quoted column takes two bytes there), which is never less than the statement Athena receives.
 *
 * @internal
 */
export function checkScoringSize(scoreSql: string, chosen: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(scoreSql));
  if (bytes > MAX_SCORE_SQL_BYTES)
    throw new Error(
      `the scoring statement of ${chosen} is ${bytes} bytes in the state, over ${MAX_SCORE_SQL_BYTES}: fewer trees or features`,
    );
}

/**
 * The statement Athena scores every user with: the model's SQL over the features at `asOf`, UNLOADed into the date's scores partition.
 *
 * @internal
 */
export function scoringUnloadSql(
  plan: Pick<PreparedIntent, 'currentFeaturesSql' | 'scoresPrefix' | 'columns' | 'sharesRelation'>,
  model: Model,
  bucket: string,
): string {
  const reasons = {
    columns: plan.columns,
    contributions: model.contributionsSql,
    sharesSelect: `SELECT * FROM ${plan.sharesRelation} AS shares`,
  };
  return `UNLOAD (${athenaScoresSql(plan.currentFeaturesSql, model.sql(plan.columns), reasons)}) TO ${literal(`s3://${bucket}/${plan.scoresPrefix}`)} WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}

/**
 * Step 3 of an intent run on AWS: the samples of features UNLOAD wrote, one per cutoff (bounded by MAX_TRAINING_USERS
 * each, whatever the population), the same modelling as `npm run intent` (domain/core/intent), the
 * report as JSON; and the statement with which Athena scores every user — the chosen model as one SQL
 * expression over the features query — into the scores partition, emptied first (UNLOAD writes only
 * into an empty prefix; a rerun of the same date replaces its scores, as locally).
 */
export async function trainIntent(
  plan: PreparedIntent,
  objects: ObjectStore,
  bucket: string,
): Promise<TrainedIntent> {
  if (!plan.sharesRelation)
    throw new Error('this run was planned by an earlier release (no table of shares): start it again');
  const sets = await Promise.all(plan.unloads.map((u) => readUnloaded(objects, bucket, u.prefix)));
  const { final, ...fitted } = fitPlanned(plan, sets, { maxUsers: MAX_TRAINING_USERS, seed: 7 });
  const scoreSql = scoringUnloadSql(plan, final, bucket);
  checkScoringSize(scoreSql, fitted.chosen);
  await objects.removeUnder(bucket, plan.scoresPrefix);
  // The trees' table of shares, where the scoring's join reads it (removed with the run's features).
  const explained = final.contributionsSql((j) => String(j));
  if (explained.kind === 'table')
    await objects.putJsonLines(bucket, `${intentSharesPrefix(plan.runId)}shares.json`, explained.shares);
  // Not beside the scores: the scores table reads every object under their prefix as rows.
  const reportKey = `${INTENT_REPORTS_PREFIX}${scoresPartitionPath(plan.customer, plan.eventKey, plan.asOf)}report.json`;
  await objects.putJson(bucket, reportKey, {
    ...plan,
    unloads: undefined,
    currentFeaturesSql: undefined,
    scoredIn: 'athena',
    ...fitted,
  });
  return {
    runId: plan.runId,
    customer: plan.customer,
    event: plan.event,
    eventKey: plan.eventKey,
    asOf: plan.asOf,
    lookbackDays: plan.lookbackDays,
    horizonDays: plan.horizonDays,
    chosen: fitted.chosen,
    validationAuc: fitted.validationAuc,
    grade: fitted.quality.grade,
    trainingUsers: fitted.training.users,
    scoreSql,
    scoresPrefix: plan.scoresPrefix,
    reportKey,
    expectedScores: fitted.expectedScores,
    checkSql: checkUnloadSql(plan, fitted.expectedScores, bucket),
  };
}

/** Where the check of a run's scores is UNLOADed: with its features, removed with them. */
const checkPrefix = (runId: string) => `${INTENT_FEATURES_PREFIX}${runId}/check/`;

/**
 * The statement Athena checks the date's scores with: their spread in the report slice's bins, UNLOADed beside the run's features.
 *
 * @internal
 */
export function checkUnloadSql(
  plan: Pick<PreparedIntent, 'runId' | 'scoresRelation'>,
  expected: ExpectedScores,
  bucket: string,
): string {
  return `UNLOAD (${scoreSpreadSql(plan.scoresRelation, expected)}) TO ${literal(`s3://${bucket}/${checkPrefix(plan.runId)}`)} WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}

/**
 * The last step, once Athena has written the scores and their spread: the scores checked against the
 * report slice (all alike, or shifted: the run fails, and the state machine's catch removes them), the
 * prediction saved where the weekly refresh finds it (as `npm run intent` saves it locally), and the
 * run's feature samples removed.
 */
export async function finishIntent(trained: TrainedIntent, objects: ObjectStore, bucket: string, now: Date) {
  const check = checkScoring(
    trained.expectedScores,
    (await readUnloaded(objects, bucket, checkPrefix(trained.runId))) as unknown as SpreadRow[],
  );
  if (check.refused) throw new Error(`the scoring is refused: ${check.refused}`);
  const predictionKey = predictionPath(trained.customer, trained.eventKey);
  const previous = await objects.readText(bucket, predictionKey);
  const prediction = savedPrediction(
    trained,
    previous === undefined ? undefined : v.parse(PredictionSchema, JSON.parse(previous)),
    now,
  );
  await objects.putJson(bucket, predictionKey, prediction);
  await removeFeatures({ runId: trained.runId }, objects, bucket);
  const { scoreSql: _sql, checkSql: _check, expectedScores: _expected, ...summary } = trained;
  return { ...summary, predictionKey, check };
}
