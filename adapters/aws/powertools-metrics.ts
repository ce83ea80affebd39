import { MetricUnit, Metrics as Powertools } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricName, VERSIONED_METRICS } from '../../domain/contract/metrics';
import type { Metrics } from '../../domain/core/common/ports';

/**
 * Counts as CloudWatch embedded metric format (log lines CloudWatch turns into metrics: no API calls
 * on the request path), through Powertools. Dimensions: `service` (ingest, authorizer), `stack` and, for
 * reasoned counts, `Reason`. Never a customer id: per-customer numbers come from the structured logs.
 */
export function powertoolsMetrics(
  serviceName: string,
  stackName: string | undefined,
  /** The running version (Lambda's AWS_LAMBDA_FUNCTION_VERSION): VERSIONED_METRICS are counted per version too. */
  version?: string | undefined,
): Metrics {
  const metrics = new Powertools({
    namespace: METRICS_NAMESPACE,
    serviceName,
    ...(stackName ? { defaultDimensions: { stack: stackName } } : {}),
  });
  // The per-version copies accumulate apart and go out together: one more metrics line per invocation,
  // not one per count.
  const versioned = version
    ? new Powertools({
        namespace: METRICS_NAMESPACE,
        serviceName,
        defaultDimensions: { ...(stackName ? { stack: stackName } : {}), version },
      })
    : undefined;
  let versionedCounts = 0;
  return {
    count(name: MetricName, value: number, reason?: string) {
      // The total always, under `service` alone (alarms cannot use SEARCH); the breakdown by reason beside it.
      metrics.addMetric(name, MetricUnit.Count, value);
      if (versioned && VERSIONED_METRICS.includes(name)) {
        versioned.addMetric(name, MetricUnit.Count, value);
        versionedCounts += 1;
      }
      if (reason === undefined) return;
      const single = metrics.singleMetric();
      single.addDimension('Reason', reason);
      single.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      metrics.publishStoredMetrics();
      if (versioned && versionedCounts > 0) versioned.publishStoredMetrics();
      versionedCounts = 0;
    },
  };
}

/**
 * A value that is not a count (an age, in seconds), published at once as its own embedded-metric line
 * under `service` and `stack`: the erase steps' oldest pending delete.
 */
export function powertoolsGauge(serviceName: string, stackName: string | undefined) {
  return (name: MetricName, seconds: number): void => {
    const metrics = new Powertools({
      namespace: METRICS_NAMESPACE,
      serviceName,
      ...(stackName ? { defaultDimensions: { stack: stackName } } : {}),
    });
    metrics.addMetric(name, MetricUnit.Seconds, seconds);
    metrics.publishStoredMetrics();
  };
}
