import { cpus, totalmem } from 'node:os';
import { benchColdStart } from './bench/cold-start-bench';
import { benchCore } from './bench/core-bench';
import { benchPlanCost } from './bench/plan-bench';
import { benchServer } from './bench/server-bench';
import { type CommandSpec, type Flag, oneOf, runCommand, wholeNumber } from './cli/command';

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
      schema: oneOf(['core', 'plan', 'server', 'cold']),
      unit: 'part',
      description: 'one part: core, plan, server or cold',
    },
    json: { kind: 'switch', description: 'the figures as JSON on stdout' },
  },
  examples: ['npm run bench', 'npm run bench -- --only core --seconds 3'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(BENCH, async ({ values }) => {
  const { seconds, only } = values;
  const progress = (part: string) => process.stderr.write(`bench: ${part}…\n`);
  const machine = {
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  const part = async <T>(name: string, run: () => Promise<T[]>): Promise<T[]> => {
    if (only && only !== name) return [];
    progress(name);
    return run();
  };
  const core = await part('core', async () => [await benchCore(100, seconds), await benchCore(1, seconds)]);
  const plan = await part('plan', async () => [await benchPlanCost(seconds)]);
  const server = await part('server', () => benchServer(seconds));
  const cold = await part('cold', () => benchColdStart());
  const result = { machine, goals: GOALS, core, plan, server, cold };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const lines = [`machine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}`, ''];
  if (core.length) {
    lines.push(
      'core (decode → validate → normalize → partition → pack) vs JSON.parse + JSON.stringify of the same messages',
    );
    for (const r of core)
      lines.push(
        `  batch ${String(r.batchSize).padStart(3)}: ${fmt(r.coreEventsPerSecond)} events/s vs floor ${fmt(r.floorEventsPerSecond)}  ratio ${r.ratio.toFixed(2)}  (goal ≥ ${GOALS.coreRatio})`,
      );
    lines.push('');
  }
  for (const r of plan) {
    lines.push(
      `tracking plan: the core with a ${r.planEvents}-event plan (every event checked) vs without, 100-event requests`,
      `  ${fmt(r.withPlanEventsPerSecond)} events/s vs ${fmt(r.withoutPlanEventsPerSecond)}  ratio ${r.ratio.toFixed(2)}  (goal ≥ ${GOALS.planRatio})`,
      '',
    );
  }
  if (server.length) {
    lines.push(
      'local server (npm start) vs a node:http server that parses and appends, autocannon over loopback',
    );
    for (const shape of ['single', 'batch-100'] as const) {
      const ours = server.find((r) => r.shape === shape && r.server === 'destination')!;
      const base = server.find((r) => r.shape === shape && r.server === 'baseline')!;
      lines.push(
        `  ${shape.padEnd(9)}: ${fmt(ours.requestsPerSecond)} req/s, ${fmt(ours.eventsPerSecond)} events/s, p50 ${ours.p50Ms} ms, p99 ${ours.p99Ms} ms  vs baseline ${fmt(base.requestsPerSecond)} req/s, p50 ${base.p50Ms} ms, p99 ${base.p99Ms} ms  ratio ${(ours.requestsPerSecond / base.requestsPerSecond).toFixed(2)}${shape === 'single' ? `  (goal ≥ ${GOALS.serverSingleRatio})` : ''}`,
      );
    }
    lines.push('');
  }
  if (cold.length) {
    lines.push(
      `Lambda bundles (as cdk synth builds them), fresh Node process: load + first event (goals: ≤ ${GOALS.bundleKiB} KiB, ≤ ${GOALS.loadAndFirstEventMs} ms)`,
    );
    for (const r of cold)
      lines.push(
        `  ${r.function.padEnd(10)} ${String(r.bundleKiB).padStart(6)} KiB  load ${String(r.loadMs).padStart(6)} ms  first event ${String(r.firstEventMs).padStart(6)} ms  (Node start ${r.nodeStartMs} ms; answer ${r.status})`,
      );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
});

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
