import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { type CommandSpec, decimal, type Flag, runCommand, UsageError } from '../cli/command';
import { customerFlag } from '../cli/flags';
import { DEFAULT_INFER_OPTIONS, inferPlan, type ObservedEvent } from '../domain/core/quality/infer-plan';
import { readLocalConfig } from '../local/config';
import { readLake } from '../local/read-lake';

const PLAN = {
  name: 'npm run plan --',
  label: 'plan',
  summary: `infer: proposes a tracking plan from the events that landed in the local lake ($DATA_DIR/lake) for one
customer: every track event seen, its properties' types, required-ness by frequency, enums for
low-cardinality strings, and identify traits likewise. The plan (JSON) goes to stdout, a summary to
stderr; edit it, then: npm run tokens -- plan set --customer <id> --file plan.json`,
  flags: {
    customer: customerFlag('the customer (required)'),
    since: {
      kind: 'value',
      schema: v.pipe(
        v.string(),
        v.regex(/^\d+d$/, 'a number of days such as 30d'),
        v.transform((text) => Number(text.slice(0, -1))),
      ),
      unit: 'days',
      description: 'only events received in the last N days, e.g. 7d',
      default: '30d',
    },
    'required-share': {
      kind: 'value',
      schema: decimal(0, 1),
      unit: '0..1',
      description: "present in at least this share of an event's occurrences = required",
      default: String(DEFAULT_INFER_OPTIONS.requiredShare),
    },
  },
  positionals: { names: ['command'], required: 1 },
  examples: ['npm run plan -- infer --customer acme --since 30d > plan.json'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(PLAN, ({ values, positionals: [command] }) => {
  if (command !== 'infer') throw new UsageError(`unknown command "${command}"; the one command is infer`);
  if (!values.customer) throw new UsageError('--customer <id> is required');
  const share = values['required-share'];

  const lake = join(readLocalConfig(process.env).dataDir, 'lake');
  if (!existsSync(lake)) throw new Error(`no lake at ${lake}: is DATA_DIR right?`);
  const from = new Date(Date.now() - values.since * 86_400_000).toISOString();
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
});
