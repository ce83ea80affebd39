import { type Prediction, RESCORE_DAYS, RETRAIN_DAYS } from '../../contract/predictions';

/**
 * The saved predictions due for a run at `now`: those whose last run is at least `rescore_days` old.
 * A run always retrains (the model is not kept between runs), so a weekly rescoring is also a weekly
 * retraining — more often than the monthly rebuild asks.
 *
 * @example dueRefreshes([{ last_run_at: '2026-11-01T00:00:00Z', rescore_days: 7, … }], Date.parse('2026-11-09T00:00:00Z')) // [that one]
 */
export function dueRefreshes(predictions: readonly Prediction[], now: number): Prediction[] {
  return predictions.filter((p) => now - Date.parse(p.last_run_at) >= p.rescore_days * 86_400_000);
}

/** When a saved prediction is next due (ISO time). */
export function nextRefresh(prediction: Prediction): string {
  return new Date(Date.parse(prediction.last_run_at) + prediction.rescore_days * 86_400_000).toISOString();
}

/** What a finished run saves: its request and its date, keeping the cadence a previous save set. */
export function savedPrediction(
  run: {
    customer: string;
    event: string;
    eventKey: string;
    lookbackDays: number;
    horizonDays: number;
    asOf: string;
  },
  previous: Prediction | undefined,
  ranAt: Date,
): Prediction {
  return {
    version: 1,
    customer_id: run.customer,
    event: run.event,
    event_key: run.eventKey,
    lookback_days: run.lookbackDays,
    horizon_days: run.horizonDays,
    rescore_days: previous?.rescore_days ?? RESCORE_DAYS,
    retrain_days: previous?.retrain_days ?? RETRAIN_DAYS,
    last_run_at: ranAt.toISOString(),
    last_as_of: run.asOf,
  };
}
