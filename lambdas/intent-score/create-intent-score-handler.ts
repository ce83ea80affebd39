import { gunzipSync } from 'node:zlib';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import * as v from 'valibot';
import {
  INTENT_FEATURES_PREFIX,
  INTENT_REPORTS_PREFIX,
  SCORES_COLUMNS,
  scoresPartitionPath,
  scoresPath,
} from '../../domain/contract/curated-table';
import { PredictionSchema, predictionPath } from '../../domain/contract/predictions';
import { fitAndScore } from '../../domain/core/intent/fit-and-score';
import { savedPrediction } from '../../domain/core/intent/refresh';
import type { PreparedIntent } from '../intent-prepare/create-intent-prepare-handler';

// Users the models train on at most (both linear in rows), well within
// the function's 15-minute limit; above it a seeded sample trains, and the summary says so.
export const MAX_TRAINING_USERS = 50_000;

/** Where each run's whole report goes, as JSON. */
export { INTENT_REPORTS_PREFIX };

type Row = Record<string, unknown>;

/** A Parquet file starts with the magic `PAR1`. */
const isParquet = (bytes: Buffer) => bytes.subarray(0, 4).toString('latin1') === 'PAR1';

/** Parquet's 64-bit integers arrive as BigInt: as numbers, which every count here fits. */
const plain = (row: Record<string, unknown>): Row =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));

/** Every row of every object UNLOAD wrote under a prefix: Parquet (the state machine's), or JSON lines. */
async function readUnloaded(s3: S3Client, bucket: string, prefix: string): Promise<Row[]> {
  const rows: Row[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const bytes = Buffer.from(await body.Body!.transformToByteArray());
      if (isParquet(bytes)) {
        const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        for (const row of await parquetReadObjects({ file }))
          rows.push(plain(row as Record<string, unknown>));
        continue;
      }
      const text = (object.Key ?? '').endsWith('.gz')
        ? gunzipSync(bytes).toString('utf8')
        : bytes.toString('utf8');
      for (const line of text.split('\n')) if (line.trim()) rows.push(JSON.parse(line) as Row);
    }
    token = page.NextContinuationToken;
  } while (token);
  return rows;
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body!.transformToString('utf8');
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/**
 * Removes a run's feature sets (`intent/_features/<run id>/`): after scoring, and when a step failed
 * (the state machine's catch), so no copy of the population's features is left behind.
 */
export async function removeFeatures(
  input: { runId: string },
  s3: S3Client,
  bucket: string,
): Promise<{ removed: number }> {
  if (!/^[0-9a-f-]{36}$/.test(input.runId)) throw new Error(`not a run id: ${input.runId}`);
  const prefix = `${INTENT_FEATURES_PREFIX}${input.runId}/`;
  let removed = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      removed += keys.length;
    }
    token = page.NextContinuationToken;
  } while (token);
  return { removed };
}

export interface IntentSummary {
  customer: string;
  eventKey: string;
  asOf: string;
  chosen: string;
  validationAuc: number;
  topDecileLift: number;
  scored: number;
  trainingUsers: number;
  sampledFrom?: number;
  scoresKey: string;
  reportKey: string;
}

/**
 * The last step of an intent run on AWS: the three feature sets UNLOAD wrote, the same modelling as
 * `npm run intent` (domain/core/intent), and the scores as Parquet under the scores prefix
 * (the `scores` table), with the whole report as JSON beside them.
 */
export async function scoreIntent(
  plan: PreparedIntent,
  s3: S3Client,
  bucket: string,
  now: Date,
): Promise<IntentSummary> {
  const sets = Object.fromEntries(
    await Promise.all(
      plan.unloads.map(async (u) => [u.name, await readUnloaded(s3, bucket, u.prefix)] as const),
    ),
  ) as Record<'training' | 'validation' | 'current', Row[]>;
  const matrix = (rows: Row[]) => rows.map((r) => plan.columns.map((c) => Number(r[c] ?? 0)));
  const labels = (rows: Row[]) => rows.map((r) => Number(r.label ?? 0));
  const fitted = fitAndScore({
    columns: plan.columns,
    training: { rows: matrix(sets.training), labels: labels(sets.training) },
    validation: { rows: matrix(sets.validation), labels: labels(sets.validation) },
    current: matrix(sets.current),
    maxUsers: MAX_TRAINING_USERS,
    seed: 7,
  });
  // The same file, columns and layout as `npm run intent` writes locally (hyparquet-writer, snappy).
  const scoresKey = scoresPath(plan.customer, plan.eventKey, plan.asOf);
  const text = (column: string) => sets.current.map((r) => (r[column] == null ? null : String(r[column])));
  const data: Record<(typeof SCORES_COLUMNS)[number]['name'], (string | number | null)[]> = {
    user_id: text('user_id'),
    anonymous_id: text('anonymous_id'),
    person: text('person'),
    probability: fitted.scores,
    percentile: fitted.percentile,
    decile: fitted.decile,
  };
  const types = { string: 'STRING', double: 'DOUBLE', int: 'INT32' } as const;
  const parquet = parquetWriteBuffer({
    columnData: SCORES_COLUMNS.map((c) => ({ name: c.name, data: data[c.name], type: types[c.type] })),
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: scoresKey,
      Body: new Uint8Array(parquet),
      ContentType: 'application/vnd.apache.parquet',
    }),
  );
  // Not beside the scores: the scores table reads every object under their prefix as rows.
  const reportKey = `${INTENT_REPORTS_PREFIX}${scoresPartitionPath(plan.customer, plan.eventKey, plan.asOf)}report.json`;
  const { scores: _scores, percentile: _percentile, decile: _decile, ...report } = fitted;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: reportKey,
      Body: JSON.stringify({ ...plan, unloads: undefined, ...report }, null, 2),
      ContentType: 'application/json',
    }),
  );
  // Saved, so the weekly refresh runs it again when due (as `npm run intent` saves it locally).
  const predictionKey = predictionPath(plan.customer, plan.eventKey);
  const previous = await readObject(s3, bucket, predictionKey);
  const prediction = savedPrediction(
    plan,
    previous === undefined ? undefined : v.parse(PredictionSchema, JSON.parse(previous)),
    now,
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: predictionKey,
      Body: `${JSON.stringify(prediction, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
  // The run's features are no longer needed (a failed run's are removed by its catch, or expire).
  await removeFeatures({ runId: plan.runId }, s3, bucket);
  return {
    customer: plan.customer,
    eventKey: plan.eventKey,
    asOf: plan.asOf,
    chosen: fitted.chosen,
    validationAuc: fitted.validationAuc,
    topDecileLift: fitted.deciles[0]!.lift,
    scored: sets.current.length,
    trainingUsers: fitted.training.users,
    ...(fitted.training.sampledFrom ? { sampledFrom: fitted.training.sampledFrom } : {}),
    scoresKey,
    reportKey,
  };
}
