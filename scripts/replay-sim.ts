import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { type CommandSpec, decimal, type Flag, runCommand, UsageError, wholeNumber } from '../cli/command';
import { jsonFlag } from '../cli/flags';
import { alignedTable } from '../cli/table';
import { AWS_QUOTAS } from '../domain/contract/aws-quotas';
import { BACKLOG_LANE, backlogDrain } from '../domain/core/lake/backlog-lane';
import { measureIngest } from './bench/measure-ingest';
import { forecastOutages, type StateForecast } from './replay/outage-forecast';
import {
  type Check,
  forecastReplay,
  LIVE_EVENTS_PER_MINUTE,
  recommendSettings,
  type Scenario,
} from './replay/replay-forecast';
import { stackFromTemplate, synthesizeTemplate } from './replay/stack-twin';

/** Assumed: a DynamoDB read in the same region (not measurable offline). */
const DYNAMO_MS = 5;

/** `key=value,key=value`: stack settings as `cdk synth -c` takes them. */
const settingsList = v.pipe(
  v.string(),
  v.regex(/^([A-Za-z]\w*=[^,=]+)(,[A-Za-z]\w*=[^,=]+)*$/, 'a list like maxCustomers=2200,streamShards=8'),
  v.transform((text) =>
    Object.fromEntries(text.split(',').map((pair) => pair.split('=') as [string, string])),
  ),
);

const SIM = {
  name: 'npm run replay-sim --',
  summary: `Plays a Segment Replay and live traffic against the stack as it would be deployed — read from the
synthesized template (--template), or synthesized here from --settings — minute by minute: what each
AWS limit sees, when it is first exceeded, and whether the excess is lost after a 200 (silent) or
answered 429/503 for Segment to resend. Per-request CPU and the lake-line overhead are measured on
this code; the Kinesis round trip is assumed (--sink-ms).`,
  flags: {
    template: { kind: 'value', schema: v.string(), unit: 'file', description: 'a template from cdk synth' },
    settings: {
      kind: 'value',
      schema: settingsList,
      unit: 'key=value,…',
      description: 'synthesize with these -c settings instead (none: the defaults)',
    },
    customers: {
      kind: 'value',
      schema: wholeNumber(0, 1_000_000),
      unit: 'customers',
      description: 'customers replaying their history at once',
      default: '200',
    },
    years: {
      kind: 'value',
      schema: decimal(0, 50),
      unit: 'years',
      description: 'history each replays',
      default: '5',
    },
    'events-per-day': {
      kind: 'value',
      schema: wholeNumber(0, 1e9),
      unit: 'events',
      description: 'events per day of history, per customer',
      default: '20000',
    },
    rate: {
      kind: 'value',
      schema: wholeNumber(0, 1e6),
      unit: 'requests/s',
      description: 'what Segment offers for the whole Replay',
      default: '5000',
    },
    'events-per-request': {
      kind: 'value',
      schema: wholeNumber(1, 2_500),
      unit: 'events',
      description: "1 for Segment's direct destinations",
      default: '1',
    },
    'live-customers': {
      kind: 'value',
      schema: wholeNumber(0, 1_000_000),
      unit: 'customers',
      description: 'customers sending live traffic meanwhile',
      default: '0',
    },
    'live-rate': {
      kind: 'value',
      schema: decimal(0, 1e6),
      unit: 'requests/s',
      description: `live traffic in all (default: ${LIVE_EVENTS_PER_MINUTE} events/min per live customer)`,
    },
    'event-bytes': {
      kind: 'value',
      schema: wholeNumber(1, 32_768),
      unit: 'bytes',
      description: 'average event size',
      default: '1300',
    },
    'start-hour': {
      kind: 'value',
      schema: wholeNumber(0, 23),
      unit: 'UTC hour',
      description: 'when the scenario starts',
      default: '12',
    },
    'sink-ms': {
      kind: 'value',
      schema: wholeNumber(0, 30_000),
      unit: 'ms',
      description: 'Kinesis round trip (assumed)',
      default: '10',
    },
    'slow-ms': {
      kind: 'value',
      schema: wholeNumber(1, 60_000),
      unit: 'ms',
      description: 'how late a slow dependency answers, in the outage table',
      default: '400',
    },
    'account-concurrency': {
      kind: 'value',
      schema: wholeNumber(1, 1e6),
      unit: 'invocations',
      description: "the account's Lambda concurrency",
      default: String(AWS_QUOTAS.accountConcurrency),
    },
    'account-rps': {
      kind: 'value',
      schema: wholeNumber(1, 1e6),
      unit: 'requests/s',
      description: "the account's API Gateway rate",
      default: String(AWS_QUOTAS.apiGatewayAccountRps),
    },
    'account-shards': {
      kind: 'value',
      schema: wholeNumber(1, 1e6),
      unit: 'shards',
      description: "the account's Kinesis shard quota",
      default: String(AWS_QUOTAS.accountShards),
    },
    json: jsonFlag('print { checks, replayDays, … } as JSON'),
  },
  examples: [
    'npm run replay-sim -- --customers 0 --live-customers 2000',
    'npm run replay-sim -- --settings maxCustomers=2200,activePartitionQuota=5000 --live-customers 2000',
    'npx cdk synth -q -o cdk.out && npm run replay-sim -- --template cdk.out/SegmentLakeDestination.template.json',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

const n = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 1 });
const when = (c: Check) => (c.firstAt === null ? '-' : `${n(c.firstAt / 3600)} h`);

runCommand(SIM, async ({ values }) => {
  if (values.template && values.settings) throw new UsageError('give --template or --settings, not both');
  if (values.customers === 0 && values['live-customers'] === 0)
    throw new UsageError('--customers and --live-customers are both 0: nothing to plan');
  const template = values.template
    ? JSON.parse(readFileSync(values.template, 'utf8'))
    : synthesizeTemplate(values.settings ?? {});
  const stack = stackFromTemplate(template);
  const measured = await measureIngest(values['events-per-request'], 500);
  const scenario: Scenario = {
    replayingCustomers: values.customers,
    years: values.years,
    eventsPerDay: values['events-per-day'],
    replayRequestsPerSecond: values.rate,
    eventsPerRequest: values['events-per-request'],
    liveCustomers: values['live-customers'],
    liveRequestsPerSecond: values['live-rate'] ?? (values['live-customers'] * LIVE_EVENTS_PER_MINUTE) / 60,
    eventBytes: values['event-bytes'],
    startHour: values['start-hour'],
    accountConcurrency: values['account-concurrency'],
    accountRequestsPerSecond: values['account-rps'],
    accountShards: values['account-shards'],
    coreMs: measured.coreMs,
    lineBytesPerEventByte: measured.lineBytesPerEventByte,
    sinkMs: values['sink-ms'],
  };
  const plan = forecastReplay(stack, scenario);
  // The Replay's curated backlog on AWS: hourly compaction runs beside the live customers' MERGEs.
  const curatedBacklog =
    scenario.replayingCustomers > 0
      ? backlogDrain({
          customers: scenario.replayingCustomers,
          years: scenario.years,
          eventsPerDay: scenario.eventsPerDay,
          liveCustomers: scenario.liveCustomers,
        })
      : null;
  const recommended = recommendSettings(stack, scenario);
  // Dependency states, at the rate that reaches the function (past API Gateway's throttles).
  const budget = scenario.accountConcurrency - stack.authorizerReservedConcurrency;
  const offered =
    (scenario.replayingCustomers > 0 ? scenario.replayRequestsPerSecond : 0) + scenario.liveRequestsPerSecond;
  const atFunction = Math.min(offered, stack.stageRateLimit, scenario.accountRequestsPerSecond);
  const outages = forecastOutages({
    requestsPerSecond: atFunction,
    coreMs: measured.coreMs,
    sinkMs: scenario.sinkMs,
    dynamoMs: DYNAMO_MS,
    slowMs: values['slow-ms'],
    budget,
  });
  const outageWithin = outages.filter((o) => o.state === 'down').every((o) => o.concurrency <= budget);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ checks: plan.checks, replayDays: plan.replayDays, curatedBacklog, liveSuccessPercent: plan.liveSuccessPercent, recommended, stack, measured, outages: { requestsPerSecond: atFunction, budget, withinBudgetWhenDown: outageWithin, states: outages } })}\n`,
    );
    return;
  }
  const onset = (o: StateForecast) =>
    o.onset
      ? `${n(o.onset.wanted)} for ~${n(o.onset.seconds)} s${o.onset.wanted > budget ? ' (over: Lambda throttles the excess)' : ''}`
      : '-';
  const silent = plan.checks.filter((c) => c.failsAfter200 && c.firstAt !== null);
  const c = stack.capacity;
  process.stdout.write(
    `${[
      `Stack: ${n(c.maxCustomers)} customers on ${c.deliveryShards} delivery shard(s), ${n(c.activePartitionQuota)} partitions each; Kinesis ${stack.delivery === 'direct' ? 'none (Direct PUT)' : stack.streamShards ? `${stack.streamShards} shards per stream` : 'on-demand'}; stage ${n(stack.stageRateLimit)} requests/s; authorizer reserved ${stack.authorizerReservedConcurrency}`,
      `Measured on this code: ${measured.coreMs.toFixed(2)} ms of core per ${scenario.eventsPerRequest}-event request; ${measured.lineBytesPerEventByte.toFixed(2)} bytes put per event byte (+${n((measured.lineBytesPerEventByte - 1) * 100)} %); Kinesis round trip assumed ${scenario.sinkMs} ms`,
      `Scenario: ${n(scenario.replayingCustomers)} customers × ${scenario.years} years × ${n(scenario.eventsPerDay)} events/day at ${n(scenario.replayRequestsPerSecond)} requests/s; live ${n(scenario.liveCustomers)} customers, ${n(scenario.liveRequestsPerSecond)} requests/s`,
      '',
      'Limits, by when they fail (silent = lost after a 200, to be redriven):',
      alignedTable([
        ['CHECK', 'LOAD', 'LIMIT', '%', 'FIRST FAILS', 'AFTER 200'],
        ...plan.checks.map((k) => [
          k.name,
          n(k.load),
          n(k.limit),
          n(k.percentOfLimit),
          when(k),
          k.failsAfter200 ? 'silent' : 'retried',
        ]),
      ]),
      '',
      silent.length > 0
        ? `SILENT LOSS: ${silent.map((k) => `${k.name} (from ${when(k)}): ${k.consequence}`).join('; ')}`
        : 'No silent loss: every excess is answered 429/503 and resent by Segment.',
      `${scenario.replayingCustomers === 0 ? 'No Replay' : `Replay of ${n(plan.events)} events finishes in ${plan.replayDays === null ? 'more than a year' : `${n(plan.replayDays)} days`}`}; live requests accepted: ${plan.liveSuccessPercent} %; ingest concurrency at peak ${n(plan.peakIngestConcurrency)}`,
      ...(curatedBacklog
        ? [
            `Curated table: the Replay's ${n(curatedBacklog.items)} backlog MERGEs drain in ${
              Number.isFinite(curatedBacklog.hours)
                ? `${n(curatedBacklog.hours)} hourly compaction runs (~${n(curatedBacklog.hours / 24)} days)`
                : 'no run: live MERGEs fill every run'
            }, ${curatedBacklog.itemsPerHour} a run beside ${n(scenario.liveCustomers)} live customers, at an assumed ${BACKLOG_LANE.assumedMergeMinutes} minutes a MERGE (docs/lake.md)`,
          ]
        : []),
      '',
      `When a dependency misbehaves, at ${n(atFunction)} requests/s (ingest budget ${n(budget)} concurrent; DynamoDB read assumed ${DYNAMO_MS} ms, slow = answers after ${values['slow-ms']} ms):`,
      alignedTable([
        ['DEPENDENCY', 'STATE', 'HOLD MS', 'ANSWER', 'CONCURRENCY', '% OF BUDGET', 'ONSET (BREAKERS CLOSED)'],
        ...outages.map((o) => [
          o.dependency,
          o.state,
          n(o.holdMs),
          String(o.answer),
          n(o.concurrency),
          n((100 * o.concurrency) / budget),
          onset(o),
        ]),
      ]),
      outageWithin
        ? `A full outage of Kinesis or DynamoDB stays within the budget once the breakers are open (${outages
            .filter((o) => o.state === 'down')
            .map((o) => `${o.dependency} ${n(o.concurrency)}`)
            .join(', ')} of ${n(budget)}).`
        : `OVER BUDGET in a full outage even with the breakers open: ${outages
            .filter((o) => o.state === 'down' && o.concurrency > budget)
            .map((o) => o.dependency)
            .join(', ')}.`,
      `A dependency that answers, however slowly, is not cut off: at this rate the budget allows ${n((1000 * budget) / Math.max(1, atFunction))} ms of hold per request.`,
      '',
      `Settings for this scenario: npx cdk deploy ${Object.entries(recommended)
        .map(([k, val]) => `-c ${k}=${val}`)
        .join(' ')}`,
      ...(Number(recommended.activePartitionQuota) > c.activePartitionQuota
        ? [
            `  first ask AWS (Service Quotas) for ${n(Number(recommended.activePartitionQuota))} active partitions per Firehose stream`,
          ]
        : []),
      '  (check: npm run replay-sim -- --settings <those, comma-separated> with the same scenario)',
    ].join('\n')}\n`,
  );
});
