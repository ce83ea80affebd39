/** The CloudWatch namespace of every metric the functions publish; the dashboard and alarms read it. */
export const METRICS_NAMESPACE = 'SegmentLakeDestination';

/**
 * The counts the destination publishes (CloudWatch metrics on AWS). Dimensions stay low-cardinality:
 * `service`, and `Reason` for a quarantine reason or a denial code — never a customer id.
 */
export const METRIC_NAMES = [
  'Requests',
  'EventsAccepted',
  'EventsQuarantined',
  'DuplicatesInRequest',
  'SinkRetriedRecords',
  'SinkBudgetExhausted',
  'SinkThrottled',
  'RateLimited',
  'FairShareUnavailable',
  'InternalErrors',
  'AuthorizerAllowed',
  'AuthorizerDenied',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The functions that publish them (the `service` dimension). */
export type MetricService = 'ingest' | 'authorizer';
