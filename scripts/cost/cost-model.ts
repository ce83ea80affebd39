import { PRICES } from './prices';

export interface CostInput {
  events: number;
  /** Events per request: 1 for Segment's direct destinations, ~100 for SDK batches. */
  perRequest: number;
  /** Average event size in bytes (the steering document's figure is 1.3 KB). */
  eventBytes: number;
  /** Billed ingest Lambda duration per request (ms, rounded up to whole ms by Lambda). */
  lambdaMs: number;
  lambdaMemoryMb: number;
  /** Whether a Kinesis stream sits in front of Firehose, and for how many hours it exists. */
  stream: boolean;
  streamHours: number;
  /** Distinct customer-day partitions per request (records are packed per partition). */
  partitionsPerRequest: number;
}

export interface CostLine {
  service: string;
  usd: number;
  basis: string;
}

const GB = 1024 ** 3;

/**
 * What a volume of events costs on the deployed stack, per service. API Gateway and Firehose bytes
 * dominate; Lambda compute never does. The authorizer is cached, so its cost is left out.
 *
 * @example estimateCost({ events: 1e9, perRequest: 1, eventBytes: 1300, lambdaMs: 20, lambdaMemoryMb: 256, stream: false, streamHours: 0, partitionsPerRequest: 1 })
 */
export function estimateCost(input: CostInput): CostLine[] {
  const requests = input.events / input.perRequest;
  const records = requests * Math.min(input.partitionsPerRequest, input.perRequest);
  const recordBytes = (input.events * input.eventBytes) / records;
  const billedRecordBytes =
    Math.ceil(recordBytes / PRICES.firehoseBillingIncrementBytes) * PRICES.firehoseBillingIncrementBytes;
  const dataGb = (input.events * input.eventBytes) / GB;
  const billedMs = Math.max(1, Math.ceil(input.lambdaMs));
  const lines: CostLine[] = [
    {
      service: 'API Gateway (HTTP API)',
      usd: (requests / 1e6) * PRICES.httpApiPerMillionRequests,
      basis: `${fmt(requests)} requests`,
    },
    {
      service: 'Lambda (ingest)',
      usd:
        (requests / 1e6) * PRICES.lambdaPerMillionRequests +
        requests * (billedMs / 1000) * (input.lambdaMemoryMb / 1024) * PRICES.lambdaArmPerGbSecond,
      basis: `${fmt(requests)} invocations × ${billedMs} ms × ${input.lambdaMemoryMb} MB arm64`,
    },
    {
      service: 'Firehose ingestion',
      usd: ((records * billedRecordBytes) / GB) * PRICES.firehosePerGbIngested,
      basis: `${fmt(records)} records, each billed as ${Math.round(billedRecordBytes / 1024)} KB`,
    },
    {
      service: 'Firehose dynamic partitioning',
      usd: dataGb * PRICES.firehosePartitioningPerGb,
      basis: `${dataGb.toFixed(0)} GB processed (per-object charge: see operations.md)`,
    },
  ];
  if (input.stream) {
    lines.push({
      service: 'Kinesis on-demand',
      usd:
        input.streamHours * PRICES.kinesisPerStreamHour +
        dataGb * (PRICES.kinesisPerGbIn + PRICES.kinesisPerGbOut),
      basis: `${input.streamHours} stream-hours, ${dataGb.toFixed(0)} GB in and out`,
    });
  }
  return lines;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
