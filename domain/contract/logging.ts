import type { MetricName } from './metrics';

/**
 * What the request path writes to CloudWatch Logs, and why it is this little. At a billion single-event
 * requests a month every byte a request logs costs ~$0.47 (CloudWatch Logs ingests at $0.50 per GB, plus
 * 26 bytes of metadata per line): logging one ~1.9 KB set of lines per request cost as much as API
 * Gateway. These numbers keep it under a tenth of it (`npm run cost` counts every line; docs/operations.md,
 * "Logs").
 */
export const REQUEST_PATH_LOGGING = {
  /**
   * The share of the ingest function's and the authorizer's INFO lines that are written (one a request:
   * `ingested`, `allowed`). Warnings and errors are always written. Each written line carries
   * `sampleRate`, so a Logs Insights count multiplies back; exact per-customer numbers are the ledger's
   * (docs/lake.md).
   */
  infoSampleRate: 0.01,
  /**
   * How long an instance adds up its counts before it writes them as one embedded-metric line (a line a
   * request was ~600 bytes). A count that signals a failure (FAILURE_METRICS) writes everything pending at
   * once, so alarms see failures without delay; an instance retired within this long of its last
   * request loses at most this long of its routine counts (the ledger keeps the exact ones).
   */
  metricsFlushMs: 10_000,
} as const;

/** Counts written at once, with whatever the instance holds: what alarms and deployments watch. */
export const FAILURE_METRICS: ReadonlySet<MetricName> = new Set<MetricName>([
  'InternalErrors',
  'Answered5xx',
  'SinkBudgetExhausted',
  'DependencyTimedOut',
  'BreakerOpen',
  'FairShareUnavailable',
]);

/**
 * The API's access log line: one per request, the request path's only log line that is never sampled
 * (what arrived, from where, how it was answered, for whom). Short keys, because the line is written a
 * billion times a month; no headers, so the Authorization header never reaches a log. Its log group is
 * of the Infrequent Access class (half the ingestion price; Logs Insights still reads it).
 */
export const ACCESS_LOG_FIELDS = {
  /** API Gateway's request id: the ingest function's ledger line carries the same id. */
  id: '$context.requestId',
  /** When the request arrived, in epoch milliseconds. */
  t: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  route: '$context.routeKey',
  status: '$context.status',
  /** Milliseconds from arrival to the answer. */
  ms: '$context.responseLatency',
  customer: '$context.authorizer.customerId',
  /** Why the authorizer refused, and what failed when the authorizer or the integration did. */
  denied: '$context.authorizer.denied',
  authError: '$context.authorizer.error',
  error: '$context.integrationErrorMessage',
} as const;
