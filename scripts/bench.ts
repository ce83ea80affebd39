import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import * as v from 'valibot';
import { type BenchResult, benchHtml, benchRows, benchTable } from './bench/bench-report';
import { benchColdStart } from './bench/cold-start-bench';
import { benchCore } from './bench/core-bench';
import { benchErase } from './bench/erase-bench';
import { benchIntent } from './bench/intent-bench';
import { benchLake } from './bench/lake-bench';
import { benchPlanCost } from './bench/plan-bench';
import { benchServer } from './bench/server-bench';
import { type CommandSpec, type Flag, oneOf, runCommand, wholeNumber } from './cli/command';
import { progress } from './cli/progress';

/**
 * `npm run bench [-- --seconds <s>] [--json] [--only core|plan|server|cold]`: every figure is a ratio
 * against a baseline measured in the same run, on this machine. Loopback only.
 */
const GOALS = {
  coreRatio: 0.5,
  planRatio: 0.8,
  serverSingleRatio: 0.6,
  bundleKiB: 150,
  loadAndFirstEventMs: 50,
  // The curated table against landing JSON, on the same events (issue: the lake analysts use).
  lakeBytesReadRatio: 10,
  lakeSpeedRatio: 5,
  // An erase reads the customer's files three times (link, rewrite, verify): cost follows the customer.
  eraseBytesPerCustomerByte: 3.5,
};

const BENCH = {
  name: 'npm run bench --',
  summary:
    'Ratios against a baseline measured in the same run, on this machine (loopback only): the core vs the\nJSON floor, a tracking plan vs none, npm start vs a minimal server, and the Lambda bundles cold.',
  flags: {
    seconds: {
      kind: 'value',
      schema: wholeNumber(1, 600),
      unit: 's',
      description: 'measuring time per side',
      default: '5',
    },
    only: {
      kind: 'value',
      schema: oneOf(['core', 'plan', 'server', 'cold', 'lake', 'intent', 'erase']),
      unit: 'part',
      description: 'one part: core, plan, server, cold, lake, intent or erase',
    },
    events: {
      kind: 'value',
      schema: wholeNumber(10_000, 10_000_000),
      unit: 'events',
      description: 'events seeded for the lake part (landing JSON vs the curated table)',
      default: '1000000',
    },
    users: {
      kind: 'value',
      schema: wholeNumber(100, 1_000_000),
      unit: 'users',
      description: 'simulated users for the intent part (× 60 days)',
      default: '100000',
    },
    'erase-events': {
      kind: 'value',
      schema: wholeNumber(10_000, 1_000_000),
      unit: 'events',
      description: 'events per customer (20 customers) for the erase part (100 users of one erased)',
      default: '50000',
    },
    json: { kind: 'switch', description: 'the figures as JSON on stdout' },
    html: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a file name')),
      unit: 'file',
      description: 'also write the figures as an HTML page with charts',
    },
  },
  examples: ['npm run bench', 'npm run bench -- --only core --seconds 3 --html bench.html'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(BENCH, async ({ values }) => {
  const { seconds, only } = values;
  const machine = {
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  const parts = only ? [only] : BENCH.flags.only.schema.options;
  const bar = progress({ label: 'bench', unit: 'parts', total: parts.length });
  let done = 0;
  const part = async <T>(name: string, run: () => Promise<T[]>): Promise<T[]> => {
    if (!parts.includes(name as (typeof parts)[number])) return [];
    bar.update(done, { note: `measuring ${name}` });
    const rows = await run();
    bar.update(++done, { note: `${name} done` });
    return rows;
  };
  const core = await part('core', async () => [await benchCore(100, seconds), await benchCore(1, seconds)]);
  const plan = await part('plan', async () => [await benchPlanCost(seconds)]);
  const server = await part('server', () => benchServer(seconds));
  const cold = await part('cold', () => benchColdStart());
  const lake = await part('lake', async () => [
    await benchLake(values.events, (step) => bar.update(done, { note: `lake: ${step}` })),
  ]);
  bar.finish('');
  const intent = await part('intent', async () => [
    await benchIntent(values.users, 60, (step) => bar.update(done, { note: `intent: ${step}` })),
  ]);
  const erase = await part('erase', async () => [
    await benchErase(20, values['erase-events'], 100, (step) => bar.update(done, { note: `erase: ${step}` })),
  ]);
  const result: BenchResult = { machine, goals: GOALS, core, plan, server, cold, lake, intent, erase };
  if (values.html) {
    writeFileSync(values.html, await benchHtml(result));
    process.stderr.write(`bench: wrote ${values.html}\n`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `\nmachine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}\n\n${benchTable(benchRows(result))}\n`,
  );
});
