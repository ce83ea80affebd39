import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ROOT } from '../support/local-destination';
import { synthStack } from '../support/stack';

describe('monitoring', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthStack({
      alarmEmail: 'oncall@example.com',
      alarmFreshnessSeconds: 600,
      activePartitionQuota: 5000,
    }));
  });

  const alarms = () =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const alarm = (idPart: string) => {
    const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).find(([id]) =>
      id.includes(idPart),
    );
    if (!found) throw new Error(`no alarm ${idPart}`);
    return found[1].Properties;
  };

  it('sends every alarm (and its recovery) to an encrypted, TLS-only topic with the on-call subscription', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    for (const a of alarms()) {
      expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^MonitoringAlarms/) }]);
      expect(a.OKActions).toEqual(a.AlarmActions);
      expect(a.AlarmDescription).toMatch(/Runbook: docs\/operations\.md#/);
    }
  });

  it('encrypts the topic with a customer-managed key that CloudWatch of this account may use, so alarms arrive', () => {
    const keys = template.findResources('AWS::KMS::Key');
    const [keyId, key] = Object.entries(keys).find(([id]) => id.startsWith('MonitoringAlarmTopicKey'))!;

    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }),
      ]),
    );
  });

  it('guards its rate alarms against empty periods with IF(), as the metric-math docs advise', () => {
    const expressions = alarms()
      .flatMap((a) => (a.Metrics ?? []) as { Expression?: string }[])
      .map((m) => m.Expression)
      .filter((e): e is string => e !== undefined);

    // A rate divides: without IF() an empty period divides by zero. Sums need no guard.
    const rates = expressions.filter((e) => e.includes('/'));
    expect(rates.length).toBeGreaterThan(0);
    for (const e of rates) expect(e).toMatch(/^IF\(/);
    for (const e of expressions) expect(e).not.toMatch(/MAX\(\[/);
  });

  it('pages when a scheduled job fails, a dead-letter queue fills, curation falls behind, or a job’s function fails', () => {
    expect(alarm('CompactionFailed')).toMatchObject({
      Threshold: 1,
      Metrics: expect.arrayContaining([
        expect.objectContaining({ Expression: 'failed + timedOut + aborted' }),
      ]),
    });
    expect(alarm('IntentFailed')).toBeDefined();
    expect(alarm('CompactionNotStarted')).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible' });
    expect(alarm('ObjectLogDeadLetters')).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible' });
    expect(alarm('CuratedBehind')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 7200,
    });
    for (const fn of ['CompactionSteps', 'IntentPlan', 'IntentScore', 'Authorizer', 'Ingest'])
      for (const kind of ['Errors', 'Throttles'])
        expect(alarm(`${fn}${kind}`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: kind });
  });

  it('alarms on the 5xx rate, sink exhaustion, Kinesis throttling, Firehose delivery and freshness, partitions and quarantine rate', () => {
    expect(alarm('ServerErrorRate')).toMatchObject({
      Threshold: 1,
      Metrics: expect.arrayContaining([
        expect.objectContaining({ Expression: 'IF(requests > 0, 100 * errors / requests)' }),
      ]),
    });
    expect(alarm('SinkBudgetExhausted')).toMatchObject({
      Threshold: 1,
      Namespace: 'SegmentLakeDestination',
      MetricName: 'SinkBudgetExhausted',
      // The stack's name too: two stages in one account never share an alarm's metric.
      Dimensions: [
        { Name: 'service', Value: 'ingest' },
        { Name: 'stack', Value: 'TestDestination' },
      ],
    });
    expect(alarm('KinesisThrottling')).toMatchObject({
      Namespace: 'AWS/Kinesis',
      MetricName: 'WriteProvisionedThroughputExceeded',
    });
    expect(alarm('DeliveryFailing')).toMatchObject({
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.Success',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
    });
    expect(alarm('DeliveryLate')).toMatchObject({ MetricName: 'DeliveryToS3.DataFreshness', Threshold: 600 });
    expect(alarm('PartitionQuotaExceeded')).toMatchObject({
      MetricName: 'PartitionCountExceeded',
      Threshold: 1,
    });
    expect(alarm('PartitionsNearQuota')).toMatchObject({ MetricName: 'PartitionCount', Threshold: 4000 });
    expect(alarm('QuarantineRate')).toMatchObject({ Threshold: 5 });
    expect(alarm('ErrorOutputWritten')).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'MatchedEvents',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { object: { key: [{ prefix: 'errors/' }] } },
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
  });

  it('draws the pipeline end to end on one dashboard', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of [
      '5xx',
      'Latency',
      'AuthorizerDenied',
      'EventsAccepted',
      'EventsQuarantined',
      'SinkBudgetExhausted',
      'WriteProvisionedThroughputExceeded',
      'GetRecords.IteratorAgeMilliseconds',
      'DeliveryToS3.Records',
      'DeliveryToS3.DataFreshness',
      'PartitionCount',
    ]) {
      expect([metric, body.includes(metric)]).toEqual([metric, true]);
    }
  });

  it('gives every alarm a runbook entry in docs/operations.md, under the name its description links', () => {
    const headings = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('### '))
      .flatMap((line) =>
        line
          .slice(4)
          .split(',')
          .map((name) => name.trim().toLowerCase()),
      );
    const linked = alarms().map(
      (a) => /Runbook: docs\/operations\.md#([a-z0-9]+)/.exec(a.AlarmDescription)![1]!,
    );

    expect(linked.length).toBeGreaterThan(40);
    expect([...new Set(linked)].filter((anchor) => !headings.includes(anchor))).toEqual([]);
  });

  it('pages on what falls behind or is held back between services: Firehose behind Kinesis, a delete near its window, the fair share', () => {
    expect(alarm('FirehoseBehindKinesis')).toMatchObject({
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Namespace: 'AWS/Kinesis',
      Threshold: 600_000,
    });
    // Three quarters of the default 72 h window.
    expect(alarm('OldestPendingDelete')).toMatchObject({
      MetricName: 'OldestPendingDeleteSeconds',
      Statistic: 'Maximum',
      Threshold: 54 * 3600,
      Dimensions: expect.arrayContaining([{ Name: 'service', Value: 'erasure' }]),
    });
    expect(alarm('FairShareUnavailable')).toMatchObject({ MetricName: 'FairShareUnavailable', Threshold: 1 });
    expect(alarm('RateLimitedRate').Metrics.map((m: { Expression?: string }) => m.Expression)).toContain(
      'IF(requests > 0, 100 * limited / requests)',
    );
    expect(alarm('AdminErrors')).toMatchObject({ MetricName: 'Errors', Namespace: 'AWS/Lambda' });
  });
});
