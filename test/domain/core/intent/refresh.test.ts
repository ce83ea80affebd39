import type { Prediction } from '../../../../domain/contract/predictions';
import { dueRefreshes, nextRefresh } from '../../../../domain/core/intent/refresh';

const saved = (lastRunAt: string): Prediction => ({
  version: 1,
  customer_id: 'acme',
  event: 'Signed Up',
  event_key: 'signedup',
  lookback_days: 30,
  horizon_days: 14,
  rescore_days: 7,
  retrain_days: 30,
  last_run_at: lastRunAt,
  last_as_of: '2026-11-01',
});

describe('refreshing saved predictions (weekly, as Segment rescores)', () => {
  it('is due exactly when the last run is a rescoring period old', () => {
    const now = Date.parse('2026-11-08T00:00:00.000Z');

    expect(dueRefreshes([saved('2026-11-01T00:00:00.000Z')], now)).toHaveLength(1);
    expect(dueRefreshes([saved('2026-11-01T00:00:00.001Z')], now)).toHaveLength(0);
    expect(nextRefresh(saved('2026-11-01T00:00:00.000Z'))).toBe('2026-11-08T00:00:00.000Z');
  });
});
