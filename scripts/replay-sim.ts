import { parseArgs } from 'node:util';
import { closest, UsageError } from './cli/command';
import {
  type Check,
  HEADROOM,
  planReplay,
  QUOTAS,
  type ReplayInput,
  type ReplayPlan,
  withRecommended,
} from './replay/replay-plan';

/** Every flag: its input field, default, unit and meaning — the one list --help, parsing and the report use. */
const FLAGS = {
  customers: ['replayingCustomers', 200, 'customers', 'customers whose history is replayed at the same time'],
  years: ['years', 5, 'years', 'history each one replays'],
  'events-per-day': ['eventsPerDay', 20_000, 'events', 'events per day of history, per customer'],
  rate: ['requestsPerSecond', 5_000, 'requests/s', 'what Segment sends for the whole Replay'],
  'events-per-request': ['eventsPerRequest', 1, 'events', "1 for Segment's direct destinations"],
  'live-customers': ['liveCustomers', 0, 'customers', 'customers sending live traffic meanwhile'],
  'live-rate': ['liveRequestsPerSecond', 0, 'requests/s', 'live traffic, all live customers together'],
  'event-bytes': ['eventBytes', 1_300, 'bytes', 'average event size'],
  'ingest-ms': ['ingestMs', 30, 'ms', 'ingest function duration per request'],
  'authorizer-ttl': ['authorizerCacheTtlSeconds', 300, 's', 'authorizerCacheTtlSeconds of the stack'],
  'authorizer-ms': ['authorizerMs', 10, 'ms', 'authorizer duration per call'],
  'delivery-shards': ['deliveryShards', 1, 'pairs', 'deliveryShards of the stack'],
  'stream-shards': ['streamShards', 0, 'shards', 'streamShards of the stack (0: on-demand)'],
  'partition-quota': [
    'activePartitionQuota',
    QUOTAS.activePartitionsDefault,
    'partitions',
    "each Firehose stream's quota",
  ],
  'account-concurrency': [
    'accountConcurrency',
    QUOTAS.accountConcurrency,
    'invocations',
    "the account's Lambda quota",
  ],
  'stage-rate': ['stageRateLimit', 5_000, 'requests/s', 'throttleRateLimit of the stack'],
} as const satisfies Record<string, readonly [keyof ReplayInput, number, string, string]>;
type Flag = keyof typeof FLAGS;

const USAGE = `Usage: npm run replay-sim -- [flags] [--json]

Plans a Segment Replay against the deployed stack: what it needs, what breaks first, and the settings
that avoid it. Every number it prints comes from the flags below (defaults shown) and the AWS quotas
listed at the end; nothing is measured, so check the assumptions.

${Object.entries(FLAGS)
  .map(([flag, [, def, unit, what]]) => `  --${flag.padEnd(21)} ${what} (${unit}; default ${def})`)
  .join('\n')}
  --json                  the plan as JSON on stdout
  -h, --help              this text

Example: npm run replay-sim -- --customers 200 --years 5 --events-per-day 20000 --rate 5000
         npm run replay-sim -- --customers 0 --live-customers 2000 --live-rate 4000`;

/** Parses and validates the flags: 2 and a one-line message naming the flag for anything wrong. */
function readInput(argv: string[]): { input: ReplayInput; json: boolean } | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const known = new Set([...Object.keys(FLAGS), 'json', 'help', 'h']);
  for (const name of Object.keys(values))
    if (!known.has(name))
      throw new UsageError(`unknown flag --${name}; did you mean --${closest(name, Object.keys(FLAGS))}?`);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const input = {} as Record<keyof ReplayInput, number>;
  for (const [flag, [field, def, unit]] of Object.entries(FLAGS) as [Flag, (typeof FLAGS)[Flag]][]) {
    const raw = values[flag];
    const value = raw === undefined ? def : Number(raw);
    if (typeof raw === 'boolean' || !Number.isFinite(value) || value < 0)
      throw new UsageError(`--${flag} must be a number ≥ 0 (${unit}), not "${String(raw)}"`);
    input[field] = value;
  }
  for (const flag of [
    'rate',
    'events-per-request',
    'event-bytes',
    'authorizer-ttl',
    'delivery-shards',
    'partition-quota',
    'account-concurrency',
    'stage-rate',
  ] as const)
    if (input[FLAGS[flag][0]] <= 0) throw new UsageError(`--${flag} must be more than 0`);
  if (input.liveRequestsPerSecond > 0 && input.liveCustomers === 0)
    throw new UsageError('--live-rate needs --live-customers: who sends it?');
  if (input.replayingCustomers === 0 && input.liveCustomers === 0)
    throw new UsageError('--customers and --live-customers are both 0: nothing to plan');
  return { input, json: values.json === true };
}

const n = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits });

function describe(check: Check): string {
  const state = check.load > 1 ? 'OVER' : check.load > HEADROOM ? 'near' : 'ok';
  return `  ${state.padEnd(5)} ${check.what}: ${n(check.need, 1)} of ${n(check.limit)} ${check.unit} (${n(check.load * 100)} %)`;
}

function report(plan: ReplayPlan): string {
  const i = plan.input;
  const after = withRecommended(plan);
  const r = plan.recommended;
  const lines = [
    i.replayingCustomers > 0
      ? `Replay plan: ${n(i.replayingCustomers)} customers × ${i.years} years × ${n(i.eventsPerDay)} events/day at ${n(i.requestsPerSecond)} requests/s (${i.eventsPerRequest} event(s) each)`
      : 'Capacity plan without a Replay (--customers 0)',
    `  live traffic meanwhile: ${n(i.liveCustomers)} customers, ${n(i.liveRequestsPerSecond)} requests/s (--live-customers, --live-rate)`,
    `  events: ${n(plan.events)}; duration ${n(plan.durationHours, 1)} h; ingest ${n(plan.eventsPerSecond)} events/s, ${n(plan.mibPerSecond, 1)} MiB/s, ${n(plan.recordsPerSecond)} Kinesis records/s (events + ledger line per request)`,
    `  peak active partitions per delivery stream: ${n(plan.peakPartitionsPerStream)} (every customer's events partition and the shared quarantine and ledger ones, two days each around a UTC midnight)`,
    `  Lambda concurrency: ingest ${n(plan.ingestConcurrency)} (rate × ${i.ingestMs} ms, reached in ~${plan.lambdaRampSeconds} s at ${n(QUOTAS.scalingPer10Seconds)} more per 10 s), authorizer ${n(plan.authorizerConcurrency)} (one call per key per ${i.authorizerCacheTtlSeconds} s)`,
    plan.onDemandWarmUpMinutes > 0
      ? `  on-demand Kinesis needs ~${plan.onDemandWarmUpMinutes} min of doubling (${QUOTAS.onDemandDoublingMinutes} min each from ${QUOTAS.onDemandStartMiBPerSecond} MiB/s) before it stops throttling`
      : '  Kinesis: no warm-up needed at this rate',
    '',
    'With the stack as it is (the flags):',
    ...plan.checks.map(describe),
    plan.breaksFirst
      ? `  → breaks first: ${plan.breaksFirst.what} — ${plan.breaksFirst.consequence}`
      : '  → nothing is over its limit',
    '',
    'Recommended before the Replay:',
    `  -c deliveryShards=${r.deliveryShards}${r.activePartitionQuota > i.activePartitionQuota ? ` and an active-partition quota of ${n(r.activePartitionQuota)} per Firehose stream (Service Quotas request)` : ''}`,
    `  -c streamShards=${r.streamShards}   (provisioned per stream: full capacity from the first second, no throttling while on-demand grows)`,
    `  -c throttleRateLimit=${r.throttleRateLimit}${r.throttleRateLimit >= QUOTAS.apiGatewayAccountRps ? ' (the account limit: request more from AWS for a faster Replay)' : ''}`,
    r.accountConcurrency > i.accountConcurrency
      ? `  Lambda concurrency quota of ${n(r.accountConcurrency)} (Service Quotas request)`
      : `  Lambda concurrency: the account's ${n(i.accountConcurrency)} is enough`,
    ...(i.replayingCustomers > 0
      ? [
          `  -c fairShareEventsPerSecond=${r.fairShareEventsPerSecond}   (per ingest instance: twice each customer's Replay rate)`,
          `  Replay rate limit to give Segment: ${n(r.perCustomerRequestsPerSecond)} requests/s per customer`,
        ]
      : ['  no Replay: no fair share or Replay rate limit to set']),
    '',
    'With those settings:',
    ...after.checks.map(describe),
    after.breaksFirst
      ? `  → still over: ${after.breaksFirst.what}`
      : `  → nothing over its limit; active partitions under ${HEADROOM * 100} % of the quota on every delivery stream`,
    '',
    `Quotas assumed (AWS, late 2026): Firehose ${QUOTAS.activePartitionsDefault} active partitions per stream (${n(QUOTAS.activePartitionsMax)} on request); Kinesis on-demand starts at ${QUOTAS.onDemandStartMiBPerSecond} MiB/s and ${n(QUOTAS.onDemandStartRecordsPerSecond)} records/s, a provisioned shard takes ${QUOTAS.shardMiBPerSecond} MiB/s and ${n(QUOTAS.shardRecordsPerSecond)} records/s; Lambda ${n(QUOTAS.accountConcurrency)} concurrent per account, scaling ${n(QUOTAS.scalingPer10Seconds)} per 10 s, ${QUOTAS.unreservedMinimum} kept unreserved; API Gateway ${n(QUOTAS.apiGatewayAccountRps)} requests/s per account.`,
  ];
  return lines.join('\n');
}

function main(): void {
  const parsed = readInput(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const plan = planReplay(parsed.input);
  process.stdout.write(
    parsed.json
      ? `${JSON.stringify({ plan, withRecommended: withRecommended(plan) })}\n`
      : `${report(plan)}\n`,
  );
}

try {
  main();
} catch (error) {
  console.error(
    `replay-sim: ${(error as Error).message}${error instanceof UsageError ? ' (see --help)' : ''}`,
  );
  process.exit(error instanceof UsageError ? 2 : 1);
}
