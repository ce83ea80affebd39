import * as v from 'valibot';
import { AUDIENCES_AREA } from '../../domain/contract/audiences';
import { PREDICTIONS_PREFIX, PredictionSchema } from '../../domain/contract/predictions';
import type { ObjectStore } from '../../domain/core/common/ports';
import { dueRefreshes } from '../../domain/core/intent/refresh';

export interface RefreshDeps {
  objects: ObjectStore;
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
  const keys = (await deps.objects.listKeys(deps.bucket, PREDICTIONS_PREFIX)).filter((k) =>
    k.endsWith('.json'),
  );
  const saved = await Promise.all(
    keys.map(async (key) =>
      v.parse(PredictionSchema, JSON.parse((await deps.objects.readText(deps.bucket, key)) ?? 'null')),
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
async function customersWithAudiences(deps: Pick<RefreshDeps, 'objects' | 'bucket'>) {
  const customers = new Set<string>();
  for (const folder of await deps.objects.foldersUnder(deps.bucket, `${AUDIENCES_AREA}/`)) {
    const match = /customer_id=([^/]+)\/$/.exec(folder);
    if (match) customers.add(match[1]!);
  }
  return [...customers].sort().map((customer) => ({ customer }));
}
