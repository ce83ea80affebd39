import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Stack } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import type { PipelineMetrics } from './pipeline-metrics';

export interface PipelineDashboardProps {
  readonly metrics: PipelineMetrics;
  readonly ingest: lambda.IFunction;
  readonly hasStream: boolean;
}

const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
  new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });

/** The pipeline end to end, left to right: API, authorizer, ingest, events, sink, Kinesis, Firehose. */
export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const m = props.metrics;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-pipeline`,
    });
    this.dashboard.addWidgets(
      graph('API requests and errors', [m.api('Count'), m.api('4xx'), m.api('5xx')], [m.serverErrorRate()]),
      graph('API latency (ms)', [
        m.api('Latency', 'p50'),
        m.api('Latency', 'p99'),
        m.api('IntegrationLatency', 'p99'),
      ]),
      graph('Authorizer', [
        m.ours('AuthorizerAllowed', 'authorizer'),
        m.ours('AuthorizerDenied', 'authorizer'),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Ingest function',
        [props.ingest.metricInvocations(), props.ingest.metricErrors(), props.ingest.metricThrottles()],
        [props.ingest.metricDuration({ statistic: 'p99' })],
      ),
      graph(
        'Events',
        [
          m.ours('EventsAccepted', 'ingest'),
          m.ours('EventsQuarantined', 'ingest'),
          m.ours('DuplicatesInRequest', 'ingest'),
        ],
        [m.quarantineRate()],
      ),
      graph('Quarantined by reason', [m.quarantinedByReason()]),
      graph('Sink retries, throttles and exhaustion', [
        m.ours('SinkRetriedRecords', 'ingest'),
        m.ours('SinkThrottled', 'ingest'),
        m.ours('SinkBudgetExhausted', 'ingest'),
      ]),
      graph('Fair share: 429s, and lookups that failed open', [
        m.ours('RateLimited', 'ingest'),
        m.ours('FairShareUnavailable', 'ingest'),
      ]),
      // docs/error-handling.md, "Deadlines and breakers".
      graph('Dependencies without an answer: timeouts past the deadline, open breakers', [
        m.ours('DependencyTimedOut', 'ingest'),
        m.ours('BreakerOpen', 'ingest'),
        m.ours('DependencyTimedOut', 'authorizer'),
      ]),
    );
    const kinesisGraphs = props.hasStream
      ? [
          graph(
            'Kinesis',
            [m.kinesis('IncomingRecords')!, m.kinesis('WriteProvisionedThroughputExceeded')!],
            [m.kinesis('GetRecords.IteratorAgeMilliseconds', 'Maximum')!],
          ),
        ]
      : [];
    this.dashboard.addWidgets(
      ...kinesisGraphs,
      graph(
        'Firehose in vs delivered',
        [
          m.firehose(props.hasStream ? 'DataReadFromKinesisStream.Records' : 'IncomingRecords', 'Sum'),
          m.firehose('DeliveryToS3.Records', 'Sum'),
        ],
        [m.firehose('DeliveryToS3.Success', 'Average')],
      ),
      graph(
        'Freshness and partitions',
        [m.firehose('DeliveryToS3.DataFreshness', 'Maximum')],
        [m.firehose('PartitionCount', 'Maximum'), m.firehose('PartitionCountExceeded', 'Maximum')],
      ),
    );
  }
}
