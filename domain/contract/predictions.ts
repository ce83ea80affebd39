import * as v from 'valibot';

/**
 * A saved prediction: what `npm run intent` was asked (customer, event, windows), kept so it can be
 * refreshed on a schedule, as Segment refreshes its Predictions (rescored every 7 days, rebuilt every
 * 30). One JSON file per customer and event key, `intent/predictions/customer_id=<id>/<event key>.json`
 * under the lake.
 */
export const PREDICTIONS_PREFIX = 'intent/predictions/';
export const predictionPath = (customerId: string, eventKey: string) =>
  `${PREDICTIONS_PREFIX}customer_id=${customerId}/${eventKey}.json`;

/** Segment's cadence: rescore weekly, rebuild the model monthly. */
export const RESCORE_DAYS = 7;
export const RETRAIN_DAYS = 30;

export const PredictionSchema = v.object({
  version: v.literal(1),
  customer_id: v.string(),
  event: v.string(),
  event_key: v.string(),
  lookback_days: v.number(),
  horizon_days: v.number(),
  rescore_days: v.number(),
  retrain_days: v.number(),
  /** The last run: when it ran and the scoring date it produced. */
  last_run_at: v.string(),
  last_as_of: v.string(),
});
export type Prediction = v.InferOutput<typeof PredictionSchema>;
