import type { S3Client } from '@aws-sdk/client-s3';
import * as v from 'valibot';
import { foldersUnder, listKeys, readText } from '../../adapters/aws/s3-objects';
import { AUDIENCES_AREA } from '../../domain/contract/audiences';
import { PREDICTIONS_PREFIX, PredictionSchema } from '../../domain/contract/predictions';
import { dueRefreshes } from '../../domain/core/intent/refresh';

export interface RefreshDeps {
  s3: S3Client;
  bucket: string;
  now: () => Date;
}

/** What the weekly refresh runs: the predictions due (as intent runs' inputs), then every customer's audiences. */
export interface RefreshPlan {
  predictions: { customer: string; event: string; lookbackDays: number; horizonDays: number }[];
  customers: { customer: string }[];
}

/**
 * The weekly refresh's first step, what `npm run intent -- refresh` decides locally: the saved
 * predictions whose last run is at least their rescoring period old (a run retrains too), and the
 * customers with audiences, refreshed and synced after the rescoring.
 */
export async function planRefresh(deps: RefreshDeps): Promise<RefreshPlan> {
  const keys = (await listKeys(deps.s3, deps.bucket, PREDICTIONS_PREFIX)).filter((k) => k.endsWith('.json'));
  const saved = await Promise.all(
    keys.map(async (key) =>
      v.parse(PredictionSchema, JSON.parse((await readText(deps.s3, deps.bucket, key)) ?? 'null')),
    ),
  );
  const predictions = dueRefreshes(saved, deps.now().getTime()).map((p) => ({
    customer: p.customer_id,
    event: p.event,
    lookbackDays: p.lookback_days,
    horizonDays: p.horizon_days,
  }));
  return { predictions, customers: await customersWithAudiences(deps) };
}

/** Every customer with an audience, from the definitions' prefixes (`audiences/customer_id=<id>/`). */
export async function customersWithAudiences(deps: Pick<RefreshDeps, 's3' | 'bucket'>) {
  const customers = new Set<string>();
  for (const folder of await foldersUnder(deps.s3, deps.bucket, `${AUDIENCES_AREA}/`)) {
    const match = /customer_id=([^/]+)\/$/.exec(folder);
    if (match) customers.add(match[1]!);
  }
  return [...customers].sort().map((customer) => ({ customer }));
}
