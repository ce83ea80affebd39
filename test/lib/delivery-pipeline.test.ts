import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DATA_OUTPUT_PREFIX, PARTITION_QUERY } from '../../lib/delivery-pipeline';
import { policyStatements, synthStack } from '../support/stack';

describe('the stack: delivery through Kinesis and Firehose', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack());
  });

  it('feeds Firehose from an on-demand, encrypted Kinesis stream', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS' },
    });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: Match.anyValue() },
    });
  });

  it('de-aggregates, partitions by area, customer and receive date with jq, and keeps errors under errors/', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        // No event date in a landing prefix: a client timestamp never opens a partition.
        Prefix:
          '!{partitionKeyFromQuery:area}/customer_id=!{partitionKeyFromQuery:customer_id}/received_dt=!{partitionKeyFromQuery:received_dt}/',
        ErrorOutputPrefix: Match.stringLikeRegexp('^errors/!\\{firehose:error-output-type\\}/'),
        CompressionFormat: 'GZIP',
        DynamicPartitioningConfiguration: Match.objectLike({ Enabled: true }),
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'RecordDeAggregation',
              Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }],
            },
            {
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([{ ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' }]),
            },
            {
              Type: 'AppendDelimiterToRecord',
              Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }],
            },
          ],
        },
      }),
    });
    expect(DATA_OUTPUT_PREFIX).not.toMatch(/\/dt=/);
    expect(Object.keys(PARTITION_QUERY)).toEqual(['area', 'customer_id', 'received_dt']);
    expect(PARTITION_QUERY.received_dt).toBe('.received_at[0:10]');
  });
});

describe('the stack, with Firehose Direct PUT', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack({ delivery: 'direct', authorizerCacheTtlSeconds: 60 }));
  });

  it('has no Kinesis stream, and puts straight into an encrypted Firehose stream', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ DELIVERY: 'direct', DELIVERY_STREAM_NAME: Match.anyValue() }),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
  });

  it('lets the ingest function call only PutRecordBatch on that stream', () => {
    const ingest = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('IngestRole'),
    )![1];
    const statement = ingest.Properties.PolicyDocument.Statement.find((s: { Action: string }) =>
      String(s.Action).startsWith('firehose'),
    );
    expect(statement).toMatchObject({
      Action: 'firehose:PutRecordBatch',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DeliveryToLake/), 'Arn'] },
    });
  });
});

describe('the stack, with several delivery shards', () => {
  // 400 customers need three pairs under the default quota of 500 (domain/contract/delivery-capacity.ts).
  const { template } = synthStack({ maxCustomers: '400' });

  it('builds three Kinesis → Firehose pairs, shard 0 under the ids of the single pipeline', () => {
    expect(Object.keys(template.findResources('AWS::Kinesis::Stream')).sort()).toEqual([
      expect.stringMatching(/^Delivery1Events/),
      expect.stringMatching(/^Delivery2Events/),
      expect.stringMatching(/^DeliveryEvents/),
    ]);
    expect(Object.keys(template.findResources('AWS::KinesisFirehose::DeliveryStream'))).toHaveLength(3);
  });

  it('gives the ingest function every stream, shard 0 first, and PutRecords on each', () => {
    const ingest = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('IngestFunction'),
    )![1];
    const streams = ingest.Properties.Environment.Variables.STREAM_NAME['Fn::Join'];
    expect(streams[0]).toBe(',');
    expect(streams[1].map((ref: { Ref: string }) => ref.Ref)).toEqual([
      expect.stringMatching(/^DeliveryEvents/),
      expect.stringMatching(/^Delivery1Events/),
      expect.stringMatching(/^Delivery2Events/),
    ]);
    const puts = policyStatements(template).filter((s) => s.Action === 'kinesis:PutRecords');
    expect(puts.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))).toHaveLength(3);
  });

  it('alarms on each pair', () => {
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    for (const name of ['PartitionsNearQuota', 'KinesisThrottling', 'DeliveryLate'])
      expect(alarms.filter((id) => id.startsWith(`Monitoring${name}`))).toHaveLength(3);
  });
});
