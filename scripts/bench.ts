import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  type CommandSpec,
  decimal,
  type Flag,
  oneOf,
  runCommand,
  UsageError,
  wholeNumber,
} from '../cli/command';
import { htmlFlag, jsonFlag } from '../cli/flags';
import { progress } from '../cli/progress';
import { alignedTable } from '../cli/table';
import { type BenchResult, benchHtml, benchRows, benchTable } from './bench/bench-report';
import { GOALS } from './bench/goals';
import {
  BASELINE_RUNS,
  type BenchBaseline,
  baselineOf,
  checkAgainstBaseline,
  GUARDED_PARTS,
} from './bench/regression-guard';

/**
 * `npm run bench [-- --seconds <s>] [--json] [--only <part>] [--check]`: every figure is a ratio
 * against a baseline measured in the same run, on this machine. Loopback only.
 */

/** The committed ratios `--check` compares with (next to this file's folder of parts). */
const BASELINE_FILE = 'bench/baseline.json';

const BENCH = {
  name: 'npm run bench --',
  summary:
    'Ratios against a baseline measured in the same run, on this machine (loopback only): the core vs the\nJSON floor, a tracking plan vs none, npm start vs a minimal server, npm start with its console open vs closed, and the Lambda bundles cold.',
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
      schema: oneOf(['core', 'plan', 'server', 'console', 'cold', 'lake', 'intent', 'identity', 'erase']),
      unit: 'part',
      description: 'one part: core, plan, server, console, cold, lake, intent, identity or erase',
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
      // Fewer than ~2,000 users give fewer than the 50 conversions a model needs (MIN_POSITIVES).
      schema: wholeNumber(2_000, 1_000_000),
      unit: 'users',
      description: 'users of the intent part (× 90 days, written straight into the curated table)',
      default: '100000',
    },
    'graph-users': {
      kind: 'value',
      schema: wholeNumber(10_000, 2_000_000),
      unit: 'users',
      description: 'users of the identity part (~10 devices each, written straight into the curated table)',
      default: '1000000',
    },
    'sim-people': {
      kind: 'value',
      // Fewer than ~3,000 people give intent's earliest slice fewer than the 40 conversions it needs.
      schema: wholeNumber(3_000, 200_000),
      unit: 'people',
      description:
        "people of the identity part's second line: the simulator's traffic through the ingest core and npm run compact",
      default: '20000',
    },
    'erase-events': {
      kind: 'value',
      schema: wholeNumber(10_000, 1_000_000),
      unit: 'events',
      description: 'events per customer (20 customers) for the erase part (100 users of one erased)',
      default: '50000',
    },
    runs: {
      kind: 'value',
      schema: wholeNumber(1, 50),
      unit: 'processes',
      description: 'fresh processes per function for the cold part (the median is reported)',
      default: '7',
    },
    check: {
      kind: 'switch',
      description: `re-measure the fast parts (${GUARDED_PARTS.join(', ')}) and fail when a ratio falls below the committed baseline by more than --tolerance`,
    },
    tolerance: {
      kind: 'value',
      schema: decimal(0.01, 0.9),
      unit: 'fraction',
      description: 'with --check: how far below its baseline a ratio may fall',
      default: '0.25',
    },
    'save-baseline': {
      kind: 'switch',
      description: `measure the fast parts ${BASELINE_RUNS} times and write their median ratios to ${BASELINE_FILE} (commit it)`,
    },
    json: jsonFlag('the figures as JSON on stdout'),
    html: htmlFlag('also write the figures as an HTML page with charts'),
  },
  examples: ['npm run bench', 'npm run bench -- --only core --seconds 3 --html bench.html'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(BENCH, async ({ values }) => {
  if (values.check && values['save-baseline']) throw new UsageError('--check or --save-baseline, not both');
  if ((values.check || values['save-baseline']) && values.only)
    throw new UsageError(`--check and --save-baseline measure ${GUARDED_PARTS.join(' and ')}: no --only`);
  const { seconds } = values;
  const only = values.check || values['save-baseline'] ? undefined : values.only;
  const machine = {
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  const guard = values.check || values['save-baseline'];
  const parts: readonly string[] = guard ? GUARDED_PARTS : only ? [only] : BENCH.flags.only.schema.options;
  // One run of the fast parts is noisy (±5–10 % on this machine): a baseline is the median of several.
  const runs = values['save-baseline'] ? BASELINE_RUNS : 1;
  const bar = progress({ label: 'bench', unit: 'parts', total: parts.length * runs });
  let done = 0;
  // Each part is required as it runs: between them they load DuckDB, the CDK app and every bundle's
  // dependencies, which `--help` and a mistyped flag should not wait for (~1 s).
  const measure = async (): Promise<BenchResult> => {
    const failed: { part: string; error: string }[] = [];
    // A part that fails is a row of the table: the others still run and print.
    const part = async <T>(name: string, run: () => Promise<T[]>): Promise<T[]> => {
      if (!parts.includes(name)) return [];
      bar.update(done, { note: `measuring ${name}` });
      try {
        return await run();
      } catch (error) {
        failed.push({
          part: name,
          error: ((error as Error).message.split('\n')[0] ?? 'failed').slice(0, 200),
        });
        return [];
      } finally {
        bar.update(++done, { note: `${name} done` });
      }
    };
    const core = await part('core', async () => [
      await (require('./bench/core-bench') as typeof import('./bench/core-bench')).benchCore(100, seconds),
      await (require('./bench/core-bench') as typeof import('./bench/core-bench')).benchCore(1, seconds),
    ]);
    const plan = await part('plan', async () => [
      await (require('./bench/plan-bench') as typeof import('./bench/plan-bench')).benchPlanCost(seconds),
    ]);
    const server = await part('server', async () =>
      (require('./bench/server-bench') as typeof import('./bench/server-bench')).benchServer(seconds),
    );
    const consoleOpen = await part('console', async () => [
      await (require('./bench/console-bench') as typeof import('./bench/console-bench')).benchConsole(
        seconds,
      ),
    ]);
    const cold = await part('cold', async () =>
      (require('./bench/cold-start-bench') as typeof import('./bench/cold-start-bench')).benchColdStart(
        values.runs,
      ),
    );
    const lake = await part('lake', async () => [
      await (require('./bench/lake-bench') as typeof import('./bench/lake-bench')).benchLake(
        values.events,
        (step) => bar.update(done, { note: `lake: ${step}` }),
      ),
    ]);
    const intent = await part('intent', async () => [
      await (require('./bench/intent-bench') as typeof import('./bench/intent-bench')).benchIntent(
        values.users,
        90,
        (step) => bar.update(done, { note: `intent: ${step}` }),
      ),
    ]);
    // Two lines, one part: the graph alone at its goal's scale, then on the simulator's traffic.
    let simulatedIdentity: import('./bench/simulated-identity-bench').SimulatedIdentityResult[] = [];
    const identity = await part('identity', async () => {
      const generated = await (
        require('./bench/identity-bench') as typeof import('./bench/identity-bench')
      ).benchIdentity(values['graph-users'], (step) => bar.update(done, { note: `identity: ${step}` }));
      simulatedIdentity = [
        await (
          require('./bench/simulated-identity-bench') as typeof import('./bench/simulated-identity-bench')
        ).benchSimulatedIdentity(values['sim-people'], (step) =>
          bar.update(done, { note: `identity (simulated): ${step}` }),
        ),
      ];
      return [generated];
    });
    const erase = await part('erase', async () => [
      await (require('./bench/erase-bench') as typeof import('./bench/erase-bench')).benchErase(
        20,
        values['erase-events'],
        100,
        (step) => bar.update(done, { note: `erase: ${step}` }),
      ),
    ]);
    return {
      machine,
      goals: GOALS,
      core,
      plan,
      server,
      console: consoleOpen,
      cold,
      lake,
      intent,
      identity,
      simulatedIdentity,
      erase,
      failed,
    };
  };
  const results: BenchResult[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure());
  bar.finish('');
  const result = results[0]!;
  const failed = results.flatMap((r) => r.failed ?? []);
  if (guard) {
    const rows = benchRows(result);
    const path = join(__dirname, BASELINE_FILE);
    if (values['save-baseline']) {
      if (failed.length > 0)
        throw new Error(`${failed.map((f) => f.part).join(', ')} failed: no baseline written`);
      const baseline = baselineOf(
        results.map((r) => benchRows(r)),
        `${machine.cpus}, Node ${machine.node}`,
        new Date().toISOString(),
      );
      writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
      process.stdout.write(`bench: wrote ${BASELINE_FILE}: ${JSON.stringify(baseline.ratios)}\n`);
      return;
    }
    const baseline = JSON.parse(readFileSync(path, 'utf8')) as BenchBaseline;
    const lines = checkAgainstBaseline(baseline, rows, values.tolerance);
    process.stdout.write(
      `${alignedTable(
        [
          ['RATIO', 'BASELINE', 'NOW', 'CHANGE', ''],
          ...lines.map((l) => [
            l.id,
            l.baseline.toFixed(3),
            l.now === undefined ? '-' : l.now.toFixed(3),
            l.change === undefined ? '-' : `${(l.change * 100).toFixed(0)} %`,
            l.ok ? 'ok' : 'REGRESSED',
          ]),
        ],
        { right: [1, 2, 3] },
      )}\n`,
    );
    const regressed = lines.filter((l) => !l.ok);
    if (regressed.length > 0)
      throw new Error(
        `${regressed.map((l) => l.id).join(', ')} fell more than ${Math.round(values.tolerance * 100)} % below ${BASELINE_FILE} (measured on ${baseline.machine})`,
      );
    return;
  }
  if (values.html) {
    writeFileSync(values.html, await benchHtml(result));
    process.stderr.write(`bench: wrote ${values.html}\n`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (failed.length > 0) throw new Error(`${failed.map((f) => f.part).join(', ')} failed`);
    return;
  }
  process.stdout.write(
    `\nmachine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}\n\n${benchTable(benchRows(result))}\n`,
  );
  if (failed.length > 0) throw new Error(`${failed.map((f) => f.part).join(', ')} failed (see the table)`);
});
