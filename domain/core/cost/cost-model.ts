import { SHARED_PARTITIONS } from '../../contract/delivery-capacity';
import { fairShareSettings } from '../ingest/fair-share';
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
  /**
   * Delivery: the Kinesis → Firehose pairs, their provisioned shards (undefined: on-demand), the customers
   * sending (each keeps a partition open on its pair) and Firehose's buffer interval, which together
   * decide how many S3 objects dynamic partitioning delivers.
   */
  streams: number;
  streamShards?: number | undefined;
  customers: number;
  bufferSeconds: number;
  /** Bytes of the ledger line each request adds (one record per request). */
  ledgerLineBytes: number;
  /** The fair share's limit (events/s per customer); 0: none. */
  fairShareEventsPerSecond: number;
  /** The optional edge (CloudFront + AWS WAF, `edgeRequestsPerKey` > 0) in front of the API. */
  edge?: boolean;
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
 * @example estimateCost({ events: 1e9, perRequest: 1, eventBytes: 1300, lambdaMs: 20, lambdaMemoryMb: 256, stream: true, streamHours: 720, partitionsPerRequest: 1, streams: 1, customers: 150, bufferSeconds: 60, ledgerLineBytes: 300, fairShareEventsPerSecond: 1000 })
 */
export function estimateCost(input: CostInput): CostLine[] {
  const requests = input.events / input.perRequest;
  const records = requests * Math.min(input.partitionsPerRequest, input.perRequest);
  const recordBytes = (input.events * input.eventBytes) / records;
  const billed = (bytes: number) =>
    Math.ceil(bytes / PRICES.firehoseBillingIncrementBytes) * PRICES.firehoseBillingIncrementBytes;
  const billedRecordBytes = billed(recordBytes);
  const dataGb = (input.events * input.eventBytes + requests * input.ledgerLineBytes) / GB;
  // Every open partition is flushed once per buffer interval: the customers' events partitions and the
  // shared quarantine and ledger ones of each pair, for the days the volume takes.
  const partitions = input.customers + SHARED_PARTITIONS * input.streams;
  const objects = (partitions * (input.streamHours * 3600)) / input.bufferSeconds;
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
      service: 'Firehose ingestion (ledger)',
      usd: ((requests * billed(input.ledgerLineBytes)) / GB) * PRICES.firehosePerGbIngested,
      basis: `${fmt(requests)} ledger records, one per request, each billed as ${Math.round(billed(input.ledgerLineBytes) / 1024)} KB`,
    },
    {
      service: 'Firehose dynamic partitioning',
      usd: dataGb * PRICES.firehosePartitioningPerGb,
      basis: `${dataGb.toFixed(0)} GB processed`,
    },
    {
      service: 'Firehose objects delivered',
      usd: (objects / 1000) * PRICES.firehosePerThousandObjects,
      basis: `${fmt(objects)} objects: ${fmt(partitions)} open partitions × a flush every ${input.bufferSeconds} s for ${input.streamHours} h`,
    },
    {
      service: 'S3 requests',
      usd: (objects / 1000) * (PRICES.s3PerThousandPuts + PRICES.s3PerThousandGets),
      basis: `${fmt(objects)} PUTs by Firehose, and as many GETs when compaction reads each object once`,
    },
  ];
  if (input.fairShareEventsPerSecond > 0) {
    // At most one conditional write per lease: an upper bound, reached when every event comes from
    // customers above an instance's free allowance (a Replay); live customers below it cost nothing.
    const writes = input.events / fairShareSettings(input.fairShareEventsPerSecond).leaseEvents;
    lines.push({
      service: 'Fair share (DynamoDB)',
      usd: (writes / 1e6) * PRICES.dynamoPerMillionWrites,
      basis: `≤ ${fmt(writes)} lease writes (1 per ${fairShareSettings(input.fairShareEventsPerSecond).leaseEvents} events; 0 for customers under 10 events/s per instance)`,
    });
  }
  if (input.edge) {
    // Every request passes CloudFront (nothing is cached) and is inspected by the web ACL's one rule.
    const months = input.streamHours / PRICES.hoursPerMonth;
    const bodyGb = (input.events * input.eventBytes) / GB;
    lines.push(
      {
        service: 'Edge: CloudFront',
        usd:
          (requests / 10_000) * PRICES.cloudFrontPerTenThousandHttpsRequests +
          bodyGb * PRICES.cloudFrontPerGbToOrigin,
        basis: `${fmt(requests)} HTTPS requests, ${bodyGb.toFixed(0)} GB sent on to the API`,
      },
      {
        service: 'Edge: AWS WAF',
        usd:
          months * (PRICES.wafPerWebAclMonth + PRICES.wafPerRuleMonth) +
          (requests / 1e6) * PRICES.wafPerMillionRequests,
        basis: `1 web ACL and 1 rule for ${months.toFixed(2)} months, ${fmt(requests)} requests inspected`,
      },
    );
  }
  if (input.stream) {
    const streamHours = input.streamHours * input.streams;
    lines.push(
      input.streamShards === undefined
        ? {
            service: 'Kinesis on-demand',
            usd:
              streamHours * PRICES.kinesisPerStreamHour +
              dataGb * (PRICES.kinesisPerGbIn + PRICES.kinesisPerGbOut),
            basis: `${fmt(streamHours)} stream-hours (${input.streams} streams, billed idle too), ${dataGb.toFixed(0)} GB in and out`,
          }
        : {
            service: 'Kinesis provisioned',
            usd: streamHours * input.streamShards * PRICES.kinesisPerShardHour,
            basis: `${fmt(streamHours * input.streamShards)} shard-hours (${input.streams} streams × ${input.streamShards} shards, billed idle too)`,
          },
    );
  }
  return lines;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
