/**
 * Prices in USD, us-east-1, from AWS's public price pages (API Gateway, Lambda, Kinesis Data Streams,
 * Data Firehose), late 2026; docs/architecture.md ("Decisions") uses them. Change them here when they change.
 */
export const PRICES = {
  /** API Gateway HTTP API, per million requests (first 300 M/month). */
  httpApiPerMillionRequests: 1.0,
  /** Lambda, per million requests. */
  lambdaPerMillionRequests: 0.2,
  /** Lambda arm64, per GB-second (x86 is 0.0000166667). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Firehose ingestion per GB, after rounding each record up to 5 KB. */
  firehosePerGbIngested: 0.029,
  /** Firehose dynamic partitioning per GB processed. */
  firehosePartitioningPerGb: 0.02,
  /** Firehose dynamic partitioning per 1,000 S3 objects delivered. */
  firehosePerThousandObjects: 0.005,
  /** Kinesis on-demand: per stream-hour, per GB written, per GB read (Firehose is a standard consumer). */
  kinesisPerStreamHour: 0.04,
  kinesisPerGbIn: 0.08,
  kinesisPerGbOut: 0.04,
  /** S3 Standard: per 1,000 PUT requests (each object Firehose delivers) and per 1,000 GETs. */
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  /** SQS standard: per million requests (64 KB each). */
  sqsPerMillionRequests: 0.4,
  /** Athena: per TB scanned (10 MB minimum per query). */
  athenaPerTb: 5,
  /** DynamoDB on-demand: per million write request units (the fair share's leases). */
  dynamoPerMillionWrites: 0.625,
  /** Kinesis provisioned: per shard-hour. */
  kinesisPerShardHour: 0.015,
  /** CloudWatch: per standard alarm-month, per dashboard-month (beyond the free three). */
  cloudWatchPerAlarmMonth: 0.1,
  cloudWatchPerDashboardMonth: 3,
  /** KMS: per customer-managed key-month. */
  kmsPerKeyMonth: 1,
  /**
   * The optional edge (lib/rate-limited-edge.ts): CloudFront per 10,000 HTTPS requests and per GB sent on to
   * the origin (United States and Europe, the price class the edge uses; https://aws.amazon.com/cloudfront/pricing/);
   * AWS WAF per web ACL-month, per rule-month and per million requests inspected
   * (https://aws.amazon.com/waf/pricing/).
   */
  cloudFrontPerTenThousandHttpsRequests: 0.01,
  cloudFrontPerGbToOrigin: 0.02,
  wafPerWebAclMonth: 5,
  wafPerRuleMonth: 1,
  wafPerMillionRequests: 0.6,
  /** Hours in a month as AWS bills them. */
  hoursPerMonth: 730,
  /** Firehose rounds each record up to this many bytes for billing. */
  firehoseBillingIncrementBytes: 5 * 1024,
} as const;
