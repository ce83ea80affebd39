/**
 * The AWS quotas the stack and `npm run replay-sim` are sized against, each with the page that states
 * it (read late 2026). A raised quota is a setting or a replay-sim flag; these are the defaults.
 */
export const AWS_QUOTAS = {
  /**
   * Firehose dynamic partitioning: active partitions per Firehose stream, 500 by default, at most 5,000
   * on request; records beyond it go to `errors/activePartitionExceeded/` (after we answered 200).
   * A partition stays active while its buffer is open: up to 1.5 × the buffering hint.
   * https://docs.aws.amazon.com/firehose/latest/dev/buffering.html
   */
  activePartitionsDefault: 500,
  activePartitionsMax: 5_000,
  firehoseBufferStretch: 1.5,
  /**
   * Firehose Direct PUT per stream, in the largest regions (1,000 requests/s and 1 MiB/s elsewhere).
   * https://docs.aws.amazon.com/firehose/latest/dev/limits.html
   */
  directPutRequestsPerSecond: 2_000,
  directPutMiBPerSecond: 5,
  /**
   * Kinesis on-demand: a new stream writes 4 MB/s and 4,000 records/s, and grows to double its previous
   * peak (up to ~15 min per doubling); at most 50 on-demand streams per account by default.
   * https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
   * https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html
   */
  onDemandStartMiBPerSecond: 4,
  onDemandStartRecordsPerSecond: 4_000,
  onDemandDoublingMinutes: 15,
  onDemandStreamsPerAccount: 50,
  /**
   * Kinesis provisioned: 1 MiB/s and 1,000 records/s of writes per shard; 20,000 shards per account in
   * us-east-1, us-west-2 and eu-west-1, 1,000 or 6,000 elsewhere (the smallest is assumed).
   * https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
   */
  shardMiBPerSecond: 1,
  shardRecordsPerSecond: 1_000,
  accountShards: 1_000,
  /**
   * Lambda: 1,000 concurrent executions per account and region by default; each function scales by
   * 1,000 per 10 s; 100 always stay unreserved.
   * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
   * https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html
   */
  accountConcurrency: 1_000,
  scalingPer10Seconds: 1_000,
  unreservedMinimum: 100,
  /**
   * Lambda: a synchronous invocation's payload — for the ingest function, API Gateway's event with the
   * body in it — is at most 6 MB (read here as 6,000,000 bytes, the smaller reading).
   * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
   * https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html
   */
  lambdaSyncPayloadBytes: 6_000_000,
  /**
   * Step Functions: a state's input or output (a Map item's included, and a Map's gathered results) is
   * at most 256 KiB; an execution's history at most 25,000 events.
   * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html
   */
  stepFunctionsPayloadBytes: 262_144,
  stepFunctionsHistoryEvents: 25_000,
  /**
   * API Gateway HTTP APIs: 10,000 requests/s per account and region (burst 5,000).
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
   */
  apiGatewayAccountRps: 10_000,
} as const;

/**
 * The share of a quota the design lets itself use: 80 %. The rest absorbs what the arithmetic cannot
 * see (a customer's hash landing on a busy pair, a slow delivery holding a partition open), and is
 * where the near-quota alarms fire.
 */
export const QUOTA_HEADROOM = 0.8;
