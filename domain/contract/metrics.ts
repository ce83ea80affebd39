/** The CloudWatch namespace of every metric the functions publish; the dashboard and alarms read it. */
export const METRICS_NAMESPACE = 'SegmentLakeDestination';

/**
 * The counts the destination publishes (CloudWatch metrics on AWS). Dimensions stay low-cardinality:
 * `service`, `stack` (the CloudFormation stack, so two stages in one account never share an alarm's
 * metric), and `Reason` for a quarantine reason or a denial code — never a customer id.
 */
export const METRIC_NAMES = [
  'Requests',
  'EventsAccepted',
  'EventsQuarantined',
  'DuplicatesInRequest',
  'DeletesRecorded',
  'EventsErasedOnArrival',
  'SinkRetriedRecords',
  'SinkBudgetExhausted',
  'SinkThrottled',
  'RateLimited',
  'FairShareUnavailable',
  // A dependency that gave no answer within its share of the request's deadline, and requests answered
  // at once because its breaker was open (Reason: sink, erasures, fair_share, tokens).
  'DependencyTimedOut',
  'BreakerOpen',
  'InternalErrors',
  'AuthorizerAllowed',
  'AuthorizerDenied',
  'Answered4xx',
  'Answered5xx',
  // Not a count: the erase steps' plan publishes, each run, how long the oldest pending Segment delete has
  // waited, in seconds (lambdas/erasure), which an alarm compares with the erase window.
  'OldestPendingDeleteSeconds',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * The counts published a second time with the function's `version` dimension, so a deployment can compare
 * the version it is shifting to with the alias as a whole (lib/safe-deployment.ts).
 */
export const VERSIONED_METRICS: readonly MetricName[] = [
  'Requests',
  'Answered4xx',
  'Answered5xx',
  'AuthorizerAllowed',
  'AuthorizerDenied',
];

/** Every function's environment names its stack (lib/house-function.ts): the `stack` dimension. */
export const STACK_NAME_VARIABLE = 'STACK_NAME';

/** The functions that publish them (the `service` dimension). */
export type MetricService = 'ingest' | 'authorizer' | 'erasure';
