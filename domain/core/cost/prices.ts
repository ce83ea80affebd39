/**
 * Prices in USD, us-east-1, from AWS's public price pages, as read in December 2026 (PRICE_SOURCES names
 * the page of each); `npm run cost` and docs/architecture.md ("Decisions") use them. Change them here when
 * they change, and the date with them.
 */
export const PRICES_READ = '2026-12';

export const PRICE_SOURCES = {
  apiGateway: 'https://aws.amazon.com/api-gateway/pricing/',
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  kinesis: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  firehose: 'https://aws.amazon.com/firehose/pricing/',
  s3: 'https://aws.amazon.com/s3/pricing/',
  dynamodb: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  cloudWatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  stepFunctions: 'https://aws.amazon.com/step-functions/pricing/',
  athena: 'https://aws.amazon.com/athena/pricing/',
  sqs: 'https://aws.amazon.com/sqs/pricing/',
  kms: 'https://aws.amazon.com/kms/pricing/',
  secretsManager: 'https://aws.amazon.com/secrets-manager/pricing/',
  cloudFront: 'https://aws.amazon.com/cloudfront/pricing/',
  waf: 'https://aws.amazon.com/waf/pricing/',
} as const;

export const PRICES = {
  /** API Gateway HTTP API, per million requests: the first 300 M a month, and every one past them. */
  httpApiPerMillionRequests: 1.0,
  httpApiPerMillionRequestsPast300M: 0.9,
  httpApiFirstTierRequests: 300_000_000,
  /** An HTTP API request is metered in 512 KB increments of its size. */
  httpApiMeteringBytes: 512 * 1024,
  /** Lambda, per million requests. */
  lambdaPerMillionRequests: 0.2,
  /** Lambda per GB-second: arm64 and x86_64. */
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaX86PerGbSecond: 0.0000166667,
  /** Firehose ingestion per GB, after rounding each record up to 5 KB. */
  firehosePerGbIngested: 0.029,
  /** Firehose dynamic partitioning per GB processed. */
  firehosePartitioningPerGb: 0.02,
  /** Firehose dynamic partitioning per 1,000 S3 objects delivered. */
  firehosePerThousandObjects: 0.005,
  /**
   * Kinesis on-demand: per stream-hour, per GB written (each record rounded up to 1 KB), per GB read
   * (Firehose is a standard consumer).
   */
  kinesisPerStreamHour: 0.04,
  kinesisPerGbIn: 0.08,
  kinesisPerGbOut: 0.04,
  kinesisRecordIncrementBytes: 1024,
  /** Firehose dynamic partitioning's inline parsing, per JQ processing hour. */
  firehosePerJqHour: 0.07,
  /** S3 Standard: per 1,000 PUT requests (each object Firehose delivers) and per 1,000 GETs. */
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  /** S3 storage per GB-month: Standard (first 50 TB) and Standard-IA (where the lake tiers objects). */
  s3StandardPerGbMonth: 0.023,
  s3StandardIaPerGbMonth: 0.0125,
  /** SQS standard: per million requests (64 KB each). */
  sqsPerMillionRequests: 0.4,
  /** Athena: per TB scanned (10 MB minimum per query). */
  athenaPerTb: 5,
  /** DynamoDB on-demand: per million write and read request units. */
  dynamoPerMillionWrites: 0.625,
  dynamoPerMillionReads: 0.125,
  /** Step Functions standard workflows: per 1,000 state transitions. */
  stepFunctionsPerThousandTransitions: 0.025,
  /** Kinesis provisioned: per shard-hour. */
  kinesisPerShardHour: 0.015,
  /** CloudWatch: per standard alarm-month, per dashboard-month (beyond the free three), per custom metric-month. */
  cloudWatchPerAlarmMonth: 0.1,
  cloudWatchPerDashboardMonth: 3,
  cloudWatchPerMetricMonth: 0.3,
  /**
   * CloudWatch Logs: ingestion per GB into a Standard and an Infrequent Access log group, storage per
   * GB-month (of the compressed bytes), and the 26 bytes of metadata billed with every line.
   */
  logsPerGbIngested: 0.5,
  logsInfrequentPerGbIngested: 0.25,
  logsPerGbMonthStored: 0.03,
  logLineOverheadBytes: 26,
  /** Secrets Manager: per secret-month. */
  secretsPerSecretMonth: 0.4,
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
