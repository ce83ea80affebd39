import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { type CommandSpec, type Flag, runCommand, UsageError, wholeNumber } from '../cli/command';
import { jsonFlag } from '../cli/flags';
import { AWS_QUOTAS } from '../domain/contract/aws-quotas';
import { ASSUMED, type CostEstimate, estimateCost } from '../domain/core/cost/cost-model';
import { curatedCost } from '../domain/core/cost/curated-cost';
import { PRICE_SOURCES, PRICES_READ } from '../domain/core/cost/prices';
import { stackFactsFromTemplate } from '../domain/core/cost/template-facts';
import { DEFAULT_LIMITS } from '../domain/core/ingest/limits';
import { STACK_DEFAULTS } from '../lib/config';
import { synthOffline } from '../lib/offline-synth';
import { measureIngest } from './bench/measure-ingest';
import { measureLogLines } from './cost/measure-logs';

/**
 * `npm run cost -- --events <n> --per-request <k> --customers <c>`: the month's bill, line by line, of the
 * stack these settings synthesize (or of `--template`), at this traffic. What is deployed comes from the
 * template; what the code does per request is measured here; what cannot be measured offline is a flag.
 */
const COST = {
  name: 'npm run cost --',
  summary: [
    'The AWS bill of a month of traffic, every billed line: the stack is synthesized with the settings given',
    '(functions, log groups, streams, Firehose, tables, state machines, alarms come from its template), the',
    'ingest core and its log lines are measured here, and the round trips to AWS are assumptions you can set.',
    `Prices: domain/core/cost/prices.ts (us-east-1, read ${PRICES_READ}).`,
  ].join('\n'),
  flags: {
    events: {
      kind: 'value',
      schema: wholeNumber(1, 1e15),
      unit: 'events',
      description: 'events a month',
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
      schema: wholeNumber(1, DEFAULT_LIMITS.maxMessageBytes),
      unit: 'bytes',
      description: 'average event size as sent',
      default: '1300',
    },
    customers: {
      kind: 'value',
      schema: wholeNumber(1, 1_000_000),
      unit: 'customers',
      description: 'customers sending, and the stack’s maxCustomers',
      default: String(STACK_DEFAULTS.maxCustomers),
    },
    'keys-per-customer': {
      kind: 'value',
      schema: wholeNumber(1, 100),
      unit: 'keys',
      description: 'write keys in use per customer (authorizer calls)',
      default: '1',
    },
    days: {
      kind: 'value',
      schema: wholeNumber(1, 31),
      unit: 'days',
      description: 'days in the month',
      default: '30',
    },
    'history-months': {
      kind: 'value',
      schema: wholeNumber(1, 120),
      unit: 'months',
      description: 'months of events the lake holds (storage)',
      default: '12',
    },
    'partition-quota': {
      kind: 'value',
      schema: wholeNumber(1, AWS_QUOTAS.activePartitionsMax),
      unit: 'partitions',
      description: 'setting activePartitionQuota',
      default: String(STACK_DEFAULTS.activePartitionQuota),
    },
    'buffer-seconds': {
      kind: 'value',
      schema: wholeNumber(60, 900),
      unit: 's',
      description: 'setting firehoseBufferSeconds',
      default: String(STACK_DEFAULTS.firehoseBufferSeconds),
    },
    'stream-shards': {
      kind: 'value',
      schema: wholeNumber(1, 10_000),
      unit: 'shards',
      description: 'setting streamShards (unset: on-demand)',
    },
    'fair-share': {
      kind: 'value',
      schema: wholeNumber(0, 1_000_000),
      unit: 'events/s',
      description: 'setting fairShareEventsPerSecond (0: none)',
      default: String(STACK_DEFAULTS.fairShareEventsPerSecond),
    },
    direct: {
      kind: 'switch',
      description: 'setting delivery=direct: Firehose Direct PUT, no Kinesis stream',
    },
    edge: {
      kind: 'switch',
      description: 'setting edgeRequestsPerKey=1000: CloudFront and AWS WAF in front of the API',
    },
    template: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a file name')),
      unit: 'file',
      description: 'a synthesized template (cdk.out/<stack>.template.json) instead of the settings above',
    },
    'put-ms': {
      kind: 'value',
      schema: wholeNumber(0, 30_000),
      unit: 'ms',
      description: 'assumed round trip of a Kinesis (or Firehose) put',
      default: String(ASSUMED.putMs),
    },
    'dynamo-ms': {
      kind: 'value',
      schema: wholeNumber(0, 30_000),
      unit: 'ms',
      description: 'assumed round trip of a DynamoDB read or write',
      default: String(ASSUMED.dynamoMs),
    },
    'landing-bytes': {
      kind: 'value',
      schema: wholeNumber(1, 1_000_000),
      unit: 'bytes',
      description: 'landing bytes per event (gzip JSON lines; assumed: a ~1.95 KB line, gzip ~6.5×)',
      default: String(ASSUMED.landingBytesPerEvent),
    },
    'curated-bytes': {
      kind: 'value',
      schema: wholeNumber(1, 1_000_000),
      unit: 'bytes',
      description: 'Parquet bytes per event (the lake bench: 1.81 × landing)',
      default: String(ASSUMED.curatedBytesPerEvent),
    },
    curated: {
      kind: 'switch',
      description: 'only the curated table’s job (object log, S3, Athena), without synthesizing the stack',
    },
    json: jsonFlag('the breakdown as JSON on stdout'),
  },
  examples: [
    'npm run cost -- --events 1000000000 --per-request 1 --customers 2000',
    'npm run cost -- --events 1000000000 --per-request 100 --direct',
    'npm run cost -- --template cdk.out/SegmentLakeDestination.template.json --customers 150',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(COST, async ({ values }) => {
  const assumed = {
    ...ASSUMED,
    putMs: values['put-ms'],
    dynamoMs: values['dynamo-ms'],
    landingBytesPerEvent: values['landing-bytes'],
    curatedBytesPerEvent: values['curated-bytes'],
  };
  if (values.curated) {
    const lines = curatedCost({
      events: values.events,
      customers: values.customers,
      bufferSeconds: values['buffer-seconds'],
      landingBytesPerEvent: assumed.landingBytesPerEvent,
      curatedBytesPerEvent: assumed.curatedBytesPerEvent,
      runs: 720,
    });
    const total = lines.reduce((sum, l) => sum + l.usd, 0);
    const perMillionEvents = (total / values.events) * 1e6;
    if (values.json) process.stdout.write(`${JSON.stringify({ lines, total, perMillionEvents })}\n`);
    else
      process.stdout.write(
        table(
          `The curated table on AWS for ${values.events.toLocaleString('en-US')} events a month, ${values.customers} customers, hourly runs`,
          lines,
          total,
          `$${perMillionEvents.toFixed(3)} per million events`,
        ),
      );
    return;
  }
  const settings = {
    maxCustomers: values.customers,
    activePartitionQuota: values['partition-quota'],
    firehoseBufferSeconds: values['buffer-seconds'],
    fairShareEventsPerSecond: values['fair-share'],
    ...(values['stream-shards'] === undefined ? {} : { streamShards: values['stream-shards'] }),
    ...(values.direct ? { delivery: 'direct' } : {}),
    ...(values.edge ? { edgeRequestsPerKey: 1000 } : {}),
  };
  const templatePath = values.template;
  process.stderr.write(templatePath ? `reading ${templatePath}…\n` : 'synthesizing the stack…\n');
  const facts = stackFactsFromTemplate(templatePath ? readTemplate(templatePath) : synthesize(settings));
  process.stderr.write('measuring the ingest core and its log lines…\n');
  const ingest = await measureIngest(Math.min(values['per-request'], 1_000));
  const logLines = await measureLogLines(ingest.loggedFields, facts.accessLogFormat);
  const estimate = estimateCost(
    facts,
    {
      events: values.events,
      perRequest: values['per-request'],
      eventBytes: values['event-bytes'],
      customers: values.customers,
      keysPerCustomer: values['keys-per-customer'],
      days: values.days,
      historyMonths: values['history-months'],
    },
    {
      coreMs: ingest.coreMs,
      sinkCallsPerRequest: ingest.sinkCalls,
      // The sample events' records, scaled to --event-bytes; the ledger line (put last) as measured.
      recordBytes: ingest.recordBytes.map((bytes, i, all) =>
        i === all.length - 1 ? bytes : Math.round((bytes * values['event-bytes']) / ingest.sampleEventBytes),
      ),
      ...logLines,
    },
    assumed,
  );
  if (values.json) {
    const prices = { read: PRICES_READ, sources: PRICE_SOURCES };
    process.stdout.write(`${JSON.stringify({ coreMs: ingest.coreMs, ...estimate, prices })}\n`);
    return;
  }
  process.stdout.write(
    table(
      `${values.events.toLocaleString('en-US')} events a month, ${values['per-request']} per request, ${values.customers} customers; ingest ${estimate.ingestMs} ms a request (core ${ingest.coreMs.toFixed(2)} ms measured, calls to AWS assumed)`,
      estimate.lines,
      estimate.total,
      summary(estimate),
    ),
  );
});

function synthesize(settings: Record<string, unknown>): unknown {
  const { app, stack } = synthOffline(settings);
  return app.synth().getStackByName(stack.stackName).template;
}

function readTemplate(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--template ${path}: ${(error as Error).message}`);
  }
}

function summary(estimate: CostEstimate): string {
  return `logging $${estimate.logging.usd.toFixed(2)}: ${(estimate.logging.shareOfApiGateway * 100).toFixed(1)} % of API Gateway`;
}

function table(
  title: string,
  lines: { service: string; usd: number; basis: string }[],
  total: number,
  footer: string,
) {
  return `${[
    title,
    '',
    ...lines.map((l) => `${l.service.padEnd(40)} $${l.usd.toFixed(2).padStart(10)}   ${l.basis}`),
    `${'total'.padEnd(40)} $${total.toFixed(2).padStart(10)}   ${footer}`,
  ].join('\n')}\n`;
}
