import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Duration } from 'aws-cdk-lib/core';
import { METRICS_NAMESPACE, type MetricName, type MetricService } from '../../domain/contract/metrics';

export const FIVE_MINUTES = Duration.minutes(5);
const FIFTEEN_MINUTES = Duration.minutes(15);

/** Where the pipeline's metrics come from: the dashboard and the alarms read the same definitions. */
export interface PipelineSources {
  readonly api: apigwv2.HttpApi;
  readonly stream?: kinesis.IStream | undefined;
  readonly deliveryStreamName: string;
  /** The `stack` dimension of the functions' own metrics. */
  readonly stackName: string;
}

/** The metrics of every stage of the pipeline, by name. */
export class PipelineMetrics {
  constructor(private readonly sources: PipelineSources) {}

  /** API Gateway HTTP API, `$default` stage. */
  api(metricName: string, statistic = 'Sum'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiId: this.sources.api.apiId, Stage: '$default' },
      statistic,
      period: FIVE_MINUTES,
    });
  }

  firehose(metricName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: this.sources.deliveryStreamName },
      statistic,
      period: FIVE_MINUTES,
    });
  }

  /** Only with a stream in front of Firehose. */
  kinesis(metricName: string, statistic = 'Sum'): cloudwatch.Metric | undefined {
    const { stream } = this.sources;
    return (
      stream &&
      new cloudwatch.Metric({
        namespace: 'AWS/Kinesis',
        metricName,
        dimensionsMap: { StreamName: stream.streamName },
        statistic,
        period: FIVE_MINUTES,
      })
    );
  }

  /** What the functions publish (adapters/aws/powertools-metrics.ts). */
  ours(
    metricName: MetricName,
    service: MetricService,
    period = FIVE_MINUTES,
    statistic = 'Sum',
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service, stack: this.sources.stackName },
      statistic,
      period,
    });
  }

  /** 429s of the fair share as a percentage of requests, over 15 minutes. */
  rateLimitedRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * limited / requests)',
      usingMetrics: {
        limited: this.ours('RateLimited', 'ingest', FIFTEEN_MINUTES),
        requests: this.ours('Requests', 'ingest', FIFTEEN_MINUTES),
      },
      label: '429 %',
      period: FIFTEEN_MINUTES,
    });
  }

  serverErrorRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      // No point when there were no requests (division by zero drops the point), not a MAX([…]) guard,
      // which the metric-math docs advise against in alarms.
      expression: 'IF(requests > 0, 100 * errors / requests)',
      usingMetrics: { errors: this.api('5xx'), requests: this.api('Count') },
      label: 'API 5xx %',
      period: FIVE_MINUTES,
    });
  }

  quarantineRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(quarantined + accepted > 0, 100 * quarantined / (quarantined + accepted))',
      usingMetrics: {
        quarantined: this.ours('EventsQuarantined', 'ingest', FIFTEEN_MINUTES),
        accepted: this.ours('EventsAccepted', 'ingest', FIFTEEN_MINUTES),
      },
      label: 'quarantine %',
      period: FIFTEEN_MINUTES,
    });
  }

  /** Dashboards may search (the breakdown by reason); alarms may not, so they use the total. */
  quarantinedByReason(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},Reason,service} MetricName="EventsQuarantined"', 'Sum', 300)`,
      label: '',
      period: FIVE_MINUTES,
    });
  }
}
