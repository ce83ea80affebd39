import { MetricUnit, Metrics as Powertools } from '@aws-lambda-powertools/metrics';
import { FAILURE_METRICS } from '../../domain/contract/logging';
import { METRICS_NAMESPACE, type MetricName, VERSIONED_METRICS } from '../../domain/contract/metrics';
import type { Metrics } from '../../domain/core/common/ports';

/**
 * Counts as CloudWatch embedded metric format (log lines CloudWatch turns into metrics: no API calls
 * on the request path), through Powertools. Dimensions: `service` (ingest, authorizer), `stack` and, for
 * reasoned counts, `Reason`. Never a customer id: per-customer numbers come from the ledger.
 *
 * With `flushMs`, an instance adds its counts up and writes them at most once per `flushMs` (at the end
 * of the first invocation past it), and at once after an invocation that counted one of FAILURE_METRICS:
 * one line per interval instead of one per request (domain/contract/logging.ts).
 */
export function powertoolsMetrics(
  serviceName: string,
  stackName: string | undefined,
  /** The running version (Lambda's AWS_LAMBDA_FUNCTION_VERSION): VERSIONED_METRICS are counted per version too. */
  version?: string | undefined,
  options: { flushMs?: number; now?: () => number } = {},
): Metrics {
  const metrics = new Powertools({
    namespace: METRICS_NAMESPACE,
    serviceName,
    ...(stackName ? { defaultDimensions: { stack: stackName } } : {}),
  });
  // The per-version copies accumulate apart and go out together: one more metrics line per write, not
  // one per count.
  const versioned = version
    ? new Powertools({
        namespace: METRICS_NAMESPACE,
        serviceName,
        defaultDimensions: { ...(stackName ? { stack: stackName } : {}), version },
      })
    : undefined;
  const flushMs = options.flushMs ?? 0;
  const now = options.now ?? Date.now;
  const totals = new Map<MetricName, number>();
  const versionedTotals = new Map<MetricName, number>();
  const reasoned = new Map<string, { name: MetricName; reason: string; value: number }>();
  let failure = false;
  let lastWrite = Number.NEGATIVE_INFINITY;
  const add = <K>(map: Map<K, number>, key: K, value: number) => map.set(key, (map.get(key) ?? 0) + value);
  const write = () => {
    if (totals.size > 0) {
      for (const [name, value] of totals) metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    }
    if (versioned && versionedTotals.size > 0) {
      for (const [name, value] of versionedTotals) versioned.addMetric(name, MetricUnit.Count, value);
      versioned.publishStoredMetrics();
    }
    for (const { name, reason, value } of reasoned.values()) {
      const single = metrics.singleMetric();
      single.addDimension('Reason', reason);
      single.addMetric(name, MetricUnit.Count, value);
    }
    totals.clear();
    versionedTotals.clear();
    reasoned.clear();
    failure = false;
  };
  return {
    count(name: MetricName, value: number, reason?: string) {
      // The total always, under `service` alone (alarms cannot use SEARCH); the breakdown by reason beside it.
      add(totals, name, value);
      if (versioned && VERSIONED_METRICS.includes(name)) add(versionedTotals, name, value);
      if (FAILURE_METRICS.has(name)) failure = true;
      if (reason === undefined) return;
      const key = `${name}\u0000${reason}`;
      const known = reasoned.get(key);
      if (known) known.value += value;
      else reasoned.set(key, { name, reason, value });
    },
    flush() {
      const at = now();
      if (!failure && at - lastWrite < flushMs) return;
      write();
      lastWrite = at;
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
