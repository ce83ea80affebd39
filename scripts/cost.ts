import { type CommandSpec, type Flag, runCommand, UsageError, wholeNumber } from '../cli/command';
import { jsonFlag } from '../cli/flags';
import { AWS_QUOTAS } from '../domain/contract/aws-quotas';
import { deliveryCapacity } from '../domain/contract/delivery-capacity';
import { estimateCost } from '../domain/core/cost/cost-model';
import { curatedCost } from '../domain/core/cost/curated-cost';
import { STACK_DEFAULTS } from '../lib/config';
import { measureIngest } from './bench/measure-ingest';

/**
 * `npm run cost -- --events <n> --per-request <k> [--sink-ms 10] [--direct] [--days 30]`
 * The ingest duration is measured here (the core on k-message requests, warm) plus `--sink-ms`, the
 * Kinesis/Firehose round trip that cannot be measured offline (default 10 ms, an assumption).
 */
const COST = {
  name: 'npm run cost --',
  summary:
    'The per-service AWS cost of a volume of events: prices in domain/core/cost/prices.ts, the ingest duration\nmeasured here on k-message requests, plus an assumed Kinesis/Firehose round trip (--sink-ms).',
  flags: {
    events: {
      kind: 'value',
      schema: wholeNumber(1, 1e15),
      unit: 'events',
      description: 'how many events',
      default: '1000000000',
    },
    'per-request': {
      kind: 'value',
      schema: wholeNumber(1, 100_000),
      unit: 'events',
      description: 'events per request (1: Segment direct)',
      default: '1',
    },
    'event-bytes': {
      kind: 'value',
      schema: wholeNumber(1, 32 * 1024),
      unit: 'bytes',
      description: 'average event size',
      default: '1300',
    },
    'sink-ms': {
      kind: 'value',
      schema: wholeNumber(0, 30_000),
      unit: 'ms',
      description: 'Kinesis/Firehose round trip (assumed)',
      default: '10',
    },
    'memory-mb': {
      kind: 'value',
      schema: wholeNumber(128, 10_240),
      unit: 'MB',
      description: 'Lambda memory',
      default: '512',
    },
    days: {
      kind: 'value',
      schema: wholeNumber(0, 3_650),
      unit: 'days',
      description: 'days the stream runs (stream-hours)',
      default: '30',
    },
    customers: {
      kind: 'value',
      schema: wholeNumber(1, 1_000_000),
      unit: 'customers',
      description: 'customers sending (maxCustomers): each keeps a partition open',
      default: String(STACK_DEFAULTS.maxCustomers),
    },
    'partition-quota': {
      kind: 'value',
      schema: wholeNumber(1, AWS_QUOTAS.activePartitionsMax),
      unit: 'partitions',
      description: 'activePartitionQuota: with --customers, decides the delivery shards',
      default: String(STACK_DEFAULTS.activePartitionQuota),
    },
    'buffer-seconds': {
      kind: 'value',
      schema: wholeNumber(60, 900),
      unit: 's',
      description: 'firehoseBufferSeconds: each open partition is an S3 object this often',
      default: String(STACK_DEFAULTS.firehoseBufferSeconds),
    },
    'stream-shards': {
      kind: 'value',
      schema: wholeNumber(1, 10_000),
      unit: 'shards',
      description: 'streamShards: provisioned shards per stream (unset: on-demand)',
    },
    'fair-share': {
      kind: 'value',
      schema: wholeNumber(0, 1_000_000),
      unit: 'events/s',
      description: 'fairShareEventsPerSecond (0: none)',
      default: String(STACK_DEFAULTS.fairShareEventsPerSecond),
    },
    curated: {
      kind: 'switch',
      description: 'the curated table on AWS instead: object log, S3, Athena, per month of --events',
    },
    'landing-bytes': {
      kind: 'value',
      schema: wholeNumber(1, 1_000_000),
      unit: 'bytes',
      description: 'with --curated: gzip landing bytes per event (assumed: a ~1.95 KB line, gzip ~6.5×)',
      default: '300',
    },
    'curated-bytes': {
      kind: 'value',
      schema: wholeNumber(1, 1_000_000),
      unit: 'bytes',
      description: 'with --curated: Parquet bytes per event (the lake bench: 1.81 × landing)',
      default: '543',
    },
    direct: { kind: 'switch', description: 'Firehose Direct PUT: no Kinesis stream' },
    edge: {
      kind: 'switch',
      description: 'the optional edge in front of the API (edgeRequestsPerKey > 0): CloudFront and AWS WAF',
    },
    json: jsonFlag('the breakdown as JSON on stdout'),
  },
  examples: [
    'npm run cost -- --events 1000000000 --per-request 1',
    'npm run cost -- --events 1000000000 --per-request 100 --direct',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(COST, async ({ values }) => {
  if (values.curated) {
    const lines = curatedCost({
      events: values.events,
      customers: values.customers,
      bufferSeconds: values['buffer-seconds'],
      landingBytesPerEvent: values['landing-bytes'],
      curatedBytesPerEvent: values['curated-bytes'],
      runs: 720,
    });
    const total = lines.reduce((sum, l) => sum + l.usd, 0);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ lines, total, perMillionEvents: (total / values.events) * 1e6 })}\n`,
      );
      return;
    }
    process.stdout.write(
      `${[
        `The curated table on AWS for ${values.events.toLocaleString('en-US')} events a month, ${values.customers} customers, hourly runs`,
        '',
        ...lines.map((l) => `${l.service.padEnd(32)} $${l.usd.toFixed(2).padStart(12)}   ${l.basis}`),
        `${'total'.padEnd(32)} $${total.toFixed(2).padStart(12)}   $${((total / values.events) * 1e6).toFixed(3)} per million events`,
      ].join('\n')}\n`,
    );
    return;
  }
  const perRequest = values['per-request'];
  const events = values.events;
  const measured = await measureIngest(Math.min(perRequest, 1_000));
  const coreMs = measured.coreMs;
  const lambdaMs = coreMs + values['sink-ms'];
  const capacity = deliveryCapacity(values.customers, values['partition-quota']);
  if (!capacity)
    throw new UsageError(
      `--customers ${values.customers} is more than any number of delivery shards serves at --partition-quota ${values['partition-quota']}`,
    );
  const lines = estimateCost({
    events,
    perRequest,
    eventBytes: values['event-bytes'],
    lambdaMs,
    lambdaMemoryMb: values['memory-mb'],
    stream: !values.direct,
    streamHours: values.days * 24,
    partitionsPerRequest: 1,
    streams: capacity.deliveryShards,
    streamShards: values['stream-shards'],
    customers: values.customers,
    bufferSeconds: values['buffer-seconds'],
    ledgerLineBytes: measured.ledgerLineBytes,
    fairShareEventsPerSecond: values['fair-share'],
    edge: values.edge,
  });
  const total = lines.reduce((sum, l) => sum + l.usd, 0);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ coreMs, lambdaMs, lines, total })}\n`);
    return;
  }
  const out = [
    `${events.toLocaleString('en-US')} events, ${perRequest} per request; ingest ≈ ${coreMs.toFixed(2)} ms measured + ${values['sink-ms']} ms sink (assumed)`,
    '',
  ];
  for (const l of lines) out.push(`${l.service.padEnd(32)} $${l.usd.toFixed(2).padStart(12)}   ${l.basis}`);
  out.push(`${'total'.padEnd(32)} $${total.toFixed(2).padStart(12)}`);
  process.stdout.write(`${out.join('\n')}\n`);
});
