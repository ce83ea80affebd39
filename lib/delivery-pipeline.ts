import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Duration, Fn, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import type { IngestEnvironment } from '../domain/contract/environment';
import {
  FIREHOSE_ERRORS_PREFIX,
  FIREHOSE_PREFIXES,
  landingPath,
  partitionJq,
} from '../domain/contract/lake-areas';
import { logicalRef } from './nag-text';

export interface DeliveryPipelineProps {
  readonly lake: s3.IBucket;
  /** `stream`: Kinesis on-demand → Firehose. `direct`: Firehose Direct PUT. */
  readonly delivery: 'stream' | 'direct';
  readonly bufferSeconds: number;
  readonly bufferMiB: number;
  readonly streamRetentionHours: number;
  /** Provisioned shards for the stream; unset: on-demand. */
  readonly streamShards?: number | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Firehose splits our packed records (JSON lines) back into events, reads each one's lake area,
 * partition customer and receive date with jq, and writes gzip JSON lines under
 * `<area>/customer_id=<id>/received_dt=<date>/` (the landing layout: domain/contract/lake-areas.ts).
 * The area comes from the lake contract's routing rule (domain/contract/lake-areas.ts), so all three
 * areas share one durable path. Records
 * Firehose cannot deliver (e.g. `activePartitionExceeded`) go to `errors/<error-output-type>/`.
 *
 * @internal
 */
export const PARTITION_QUERY = partitionJq();
const fromQuery = (key: keyof typeof PARTITION_QUERY) => `!{partitionKeyFromQuery:${key}}`;
/** @internal */
export const DATA_OUTPUT_PREFIX = landingPath(
  fromQuery('area'),
  fromQuery('customer_id'),
  fromQuery('received_dt'),
);
const ERROR_OUTPUT_PREFIX = `${FIREHOSE_ERRORS_PREFIX}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;

/**
 * Where the ingest function puts records, and how they reach the lake. The Firehose stream is the L1
 * resource so that its role can be written action by action (the L2 grants wildcard S3 actions).
 */
export class DeliveryPipeline extends Construct {
  readonly stream?: kinesis.Stream;
  readonly deliveryStream: firehose.CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const role = new iam.Role(this, 'FirehoseRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Firehose: read the event stream, write the lake, write its own error logs',
    });
    // The actions Firehose documents for an S3 destination ("Grant Firehose access to an Amazon S3 destination").
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.lake.bucketArn],
      }),
    );
    const prefixes = FIREHOSE_PREFIXES.map((prefix) => `${prefix}/*`);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: prefixes.map((p) => props.lake.arnForObjects(p)),
      }),
    );
    const logGroup = new logs.LogGroup(this, 'FirehoseLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const logStream = new logs.LogStream(this, 'FirehoseDeliveryErrors', {
      logGroup,
      removalPolicy: props.removalPolicy,
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );

    let source: firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty | undefined;
    if (props.delivery === 'stream') {
      this.stream = new kinesis.Stream(this, 'Events', {
        ...(props.streamShards === undefined
          ? { streamMode: kinesis.StreamMode.ON_DEMAND }
          : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: props.streamShards }),
        encryption: kinesis.StreamEncryption.MANAGED,
        retentionPeriod: Duration.hours(props.streamRetentionHours),
        removalPolicy: props.removalPolicy,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'kinesis:DescribeStream',
            'kinesis:DescribeStreamSummary',
            'kinesis:GetShardIterator',
            'kinesis:GetRecords',
            'kinesis:ListShards',
          ],
          resources: [this.stream.streamArn],
        }),
      );
      source = { kinesisStreamArn: this.stream.streamArn, roleArn: role.roleArn };
    }

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'ToLake', {
      deliveryStreamType: source ? 'KinesisStreamAsSource' : 'DirectPut',
      ...(source
        ? { kinesisStreamSourceConfiguration: source }
        : { deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' } }),
      extendedS3DestinationConfiguration: {
        bucketArn: props.lake.bucketArn,
        roleArn: role.roleArn,
        prefix: DATA_OUTPUT_PREFIX,
        errorOutputPrefix: ERROR_OUTPUT_PREFIX,
        compressionFormat: 'GZIP',
        fileExtension: '.json.gz',
        // Dynamic partitioning requires a buffer of at least 64 MiB.
        bufferingHints: { intervalInSeconds: props.bufferSeconds, sizeInMBs: props.bufferMiB },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'RecordDeAggregation',
              parameters: [{ parameterName: 'SubRecordType', parameterValue: 'JSON' }],
            },
            {
              type: 'MetadataExtraction',
              parameters: [
                {
                  parameterName: 'MetadataExtractionQuery',
                  parameterValue: `{${Object.entries(PARTITION_QUERY)
                    .map(([k, q]) => `${k}:${q}`)
                    .join(',')}}`,
                },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
            {
              type: 'AppendDelimiterToRecord',
              parameters: [{ parameterName: 'Delimiter', parameterValue: '\\n' }],
            },
          ],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    this.deliveryStream.node.addDependency(role);

    const lakeArn = logicalRef(props.lake as unknown as Construct);
    for (const prefix of prefixes) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${lakeArn}.Arn>/${prefix}]`,
        reason: `Firehose names the objects it writes (time and a random suffix) under ${prefix.slice(0, -2)}/; the role is limited to that prefix and to three object actions.`,
      });
    }
    if (source) {
      Validations.of(this.deliveryStream).acknowledge({
        id: 'AwsSolutions-KDF1',
        reason:
          'A Firehose stream whose source is a Kinesis stream cannot take its own SSE setting: the source stream is encrypted (KMS, aws/kinesis), and S3 objects are encrypted by the bucket.',
      });
    }
  }

  /** Lets the ingest function put records: PutRecords on the stream, or PutRecordBatch on Firehose. */
  grantPut(grantee: iam.IGrantable): void {
    if (this.stream) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kinesis:PutRecords'],
        resourceArns: [this.stream.streamArn],
      });
    } else {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['firehose:PutRecordBatch'],
        resourceArns: [this.deliveryStream.attrArn],
      });
    }
  }

  /** The ingest function's environment for `lambdas/ingest/deps-from-env.ts`: every shard, shard 0 first. */
  static ingestEnvironment(shards: readonly DeliveryPipeline[]): IngestEnvironment {
    return shards[0]!.stream
      ? {
          DELIVERY: 'stream',
          STREAM_NAME: Fn.join(
            ',',
            shards.map((s) => s.stream!.streamName),
          ),
        }
      : {
          DELIVERY: 'direct',
          DELIVERY_STREAM_NAME: Fn.join(
            ',',
            shards.map((s) => s.deliveryStream.ref),
          ),
        };
  }
}
