import { MetricUnit, Metrics as Powertools } from '@aws-lambda-powertools/metrics';
import type { MetricName, Metrics } from '../../core/ports';

/** The CloudWatch namespace of every metric the functions publish (lib/monitoring.ts reads it too). */
export const METRICS_NAMESPACE = 'SegmentLakeDestination';

/**
 * Counts as CloudWatch embedded metric format (log lines CloudWatch turns into metrics: no API calls
 * on the request path), through Powertools. Dimensions: `service` (ingest, authorizer) and, for
 * reasoned counts, `Reason`. Never a customer id: per-customer numbers come from the structured logs.
 */
export function powertoolsMetrics(serviceName: string): Metrics {
  const metrics = new Powertools({ namespace: METRICS_NAMESPACE, serviceName });
  return {
    count(name: MetricName, value: number, reason?: string) {
      // The total always, under `service` alone (alarms cannot use SEARCH); the breakdown by reason beside it.
      metrics.addMetric(name, MetricUnit.Count, value);
      if (reason === undefined) return;
      const single = metrics.singleMetric();
      single.addDimension('Reason', reason);
      single.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
