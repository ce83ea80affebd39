import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_INFER_OPTIONS, inferPlan, type ObservedEvent } from '../lambdas/core/quality/infer-plan';
import { readLocalConfig } from '../local/config';
import { readLake } from '../local/read-lake';
import { UsageError as CliUsageError, usageErrorOf } from './cli/command';

const USAGE = `Usage: npm run plan -- infer --customer <id> [--since <N>d] [--required-share <0..1>]

Proposes a tracking plan from the events that landed in the local lake ($DATA_DIR/lake) for one
customer: every track event seen, its properties' types, required-ness by frequency, enums for
low-cardinality strings, and identify traits likewise. The plan (JSON) goes to stdout, a summary to
stderr; edit it, then: npm run tokens -- plan set --customer <id> --file plan.json

  --customer <id>         the customer (required)
  --since <N>d            only events received in the last N days (default 30d)
  --required-share <x>    present in at least this share of an event's occurrences = required (default ${DEFAULT_INFER_OPTIONS.requiredShare})
  -h, --help              this text

Example: npm run plan -- infer --customer acme --since 30d > plan.json`;

const PLAN_OPTIONS = {
  customer: { type: 'string' },
  since: { type: 'string', default: '30d' },
  'required-share': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: PLAN_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [command, ...extra] = positionals;
  if (command !== 'infer')
    throw new UsageError(command ? `unknown command "${command}"` : 'which command? infer');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.customer) throw new UsageError('--customer <id> is required');
  const since = /^(\d+)d$/.exec(values.since ?? '');
  if (!since) throw new UsageError(`--since must be a number of days such as 30d, not "${values.since}"`);
  const share =
    values['required-share'] === undefined
      ? DEFAULT_INFER_OPTIONS.requiredShare
      : Number(values['required-share']);
  if (!(share >= 0 && share <= 1))
    throw new UsageError(`--required-share must be between 0 and 1, not "${values['required-share']}"`);

  const lake = join(readLocalConfig(process.env).dataDir, 'lake');
  if (!existsSync(lake)) throw new Error(`no lake at ${lake}: is DATA_DIR right?`);
  const from = new Date(Date.now() - Number(since[1]) * 86_400_000).toISOString();
  const events: ObservedEvent[] = readLake(lake, 'events')
    .map((l) => l.record)
    .filter((r) => r.customer_id === values.customer && String(r.received_at) >= from)
    .map((r) => ({
      type: String(r.type),
      event: typeof r.event === 'string' ? r.event : null,
      message: (r.message ?? {}) as ObservedEvent['message'],
    }));
  if (events.length === 0)
    throw new Error(
      `no events of customer "${values.customer}" received since ${from.slice(0, 10)} in ${lake}`,
    );
  const plan = inferPlan(events, { ...DEFAULT_INFER_OPTIONS, requiredShare: share });
  process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  process.stderr.write(
    `plan: ${Object.keys(plan.events).length} track events${plan.identify ? ' and identify traits' : ''} from ${events.length} events of ${values.customer} since ${from.slice(0, 10)}\n`,
  );
}

try {
  main();
} catch (thrown) {
  const error = usageErrorOf(thrown, Object.keys(PLAN_OPTIONS)) ?? thrown;
  const usage = error instanceof UsageError || error instanceof CliUsageError;
  console.error(`plan: ${(error as Error).message}${usage ? ' (see --help)' : ''}`);
  process.exit(usage ? 2 : 1);
}
