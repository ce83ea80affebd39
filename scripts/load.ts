import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import { FileTokenStore } from '../adapters/local/file-token-store';
import {
  type CommandSpec,
  type CommandValues,
  type Flag,
  oneOf,
  runCommand,
  UsageError,
  wholeNumber,
} from '../cli/command';
import { progress } from '../cli/progress';
import { createToken } from '../domain/core/keys/token-admin';
import { spawnDestination, stopServer } from '../local/spawn-destination';
import { artilleryConfig, readArtilleryReport } from './load/artillery-config';
import { type LakeIds, localLakeIds, s3LakeIds } from './load/lake-ids';
import { loadReportHtml, loadSeries } from './load/load-report';
import { memoryGrowth, rssMiB } from './load/memory';
import { type LoadLedgerLine, reconcile } from './load/reconcile';

/**
 * `npm run load` — a short artillery run (about a minute) against a local destination it starts itself.
 * `npm run soak -- --duration <minutes>` — the same traffic at a sustained rate, sampling the server's
 * memory. Both end with a reconciliation of the lake and write reports/<run>/summary.md, result.json and
 * report.html (charts over time).
 * Against a deployed stage: `--target <url> --tokens <file> --bucket <lake bucket>` (only then does
 * traffic leave 127.0.0.1).
 */
const ROOT = resolve(__dirname, '..');
const LOAD_DIR = join(ROOT, 'test', 'load');
const ARTILLERY = join(LOAD_DIR, 'node_modules', '.bin', 'artillery');
// Skewed traffic: one big customer, a few smaller ones.
const CUSTOMERS = [
  { customerId: 'load-big', weight: 60 },
  { customerId: 'load-mid', weight: 25 },
  { customerId: 'load-small', weight: 10 },
  { customerId: 'load-tiny', weight: 5 },
];

const LOAD = {
  name: 'npm run load -- (or npm run soak --)',
  // `npm run soak` is this command with --mode soak: its errors say soak.
  label: process.argv.slice(2).join(' ').includes('--mode soak') ? 'soak' : 'load',
  summary: [
    'Artillery traffic (direct, sdk-batch, replay scenarios) against a local destination it starts on',
    '127.0.0.1, then a reconciliation of the lake: every acknowledged messageId must have landed. Writes',
    'reports/<run>/summary.md, result.json and report.html (charts). npm run load: about a minute; npm run soak: --duration',
    'minutes at --rate arrivals/s. Against a deployed stage: --target, --tokens and --bucket.',
  ].join('\n'),
  flags: {
    mode: {
      kind: 'value',
      schema: oneOf(['load', 'soak']),
      unit: 'mode',
      description: 'load or soak (set by the npm script)',
      default: 'load',
    },
    duration: {
      kind: 'value',
      schema: wholeNumber(1, 24 * 60),
      unit: 'minutes',
      description: 'soak length',
      default: '10',
    },
    rate: {
      kind: 'value',
      schema: wholeNumber(1, 10_000),
      unit: 'arrivals/s',
      description: 'soak arrival rate',
      default: '30',
    },
    p99: {
      kind: 'value',
      schema: wholeNumber(1, 60_000),
      unit: 'ms',
      description: 'fail the run above this p99 latency',
      default: '1500',
    },
    target: {
      kind: 'value',
      schema: v.pipe(v.string(), v.url('a URL')),
      unit: 'url',
      description: 'a deployed endpoint instead of a local destination',
    },
    tokens: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a file')),
      unit: 'file',
      description: 'with --target: [{customerId, token, weight}] as JSON',
    },
    bucket: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a bucket name')),
      unit: 'bucket',
      description: 'with --target: the lake bucket to reconcile',
    },
    settle: {
      kind: 'value',
      schema: wholeNumber(0, 3_600),
      unit: 's',
      description: 'with --target: wait for Firehose before reconciling',
      default: '120',
    },
  },
  examples: ['npm run load', 'npm run soak -- --duration 30 --rate 50'],
} as const satisfies CommandSpec<Record<string, Flag>>;

async function main(values: CommandValues<typeof LOAD.flags>): Promise<number> {
  const mode = values.mode;
  const minutes = values.duration;
  if (values.target && !(values.tokens && values.bucket))
    throw new UsageError('--target needs --tokens <file> and --bucket <lake bucket> to reconcile');
  const runDir = join(ROOT, 'reports', `${mode}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  ensureArtillery();

  const { server, dataDir, target, customers } = await targetOf(values, mode);
  const customersFile = join(runDir, 'customers.json');
  writeFileSync(customersFile, JSON.stringify(customers), { mode: 0o600 });
  const ledgerFile = join(runDir, 'ledger.jsonl');
  writeFileSync(ledgerFile, '');

  const phases = phasesOf(mode, minutes, values.rate);
  const configFile = join(runDir, 'artillery.json');
  writeFileSync(
    configFile,
    JSON.stringify(
      artilleryConfig({
        target,
        processor: join(LOAD_DIR, 'processor.cjs'),
        phases,
        p99Ms: values.p99,
      }),
      null,
      2,
    ),
  );

  // Every 2 s: enough points to see a leak's slope in a 1-minute load run, ~300 in a 10-minute soak.
  const samples: { atMs: number; mib: number }[] = [];
  const plannedSeconds = phases.reduce((sum, p) => sum + p.duration, 0);
  const bar = progress({ label: mode, unit: 's', total: plannedSeconds });
  const started = Date.now();
  const sampler = setInterval(() => {
    const mib = server?.pid ? rssMiB(server.pid) : undefined;
    if (mib !== undefined) samples.push({ atMs: Date.now(), mib });
    bar.update(Math.min(plannedSeconds, Math.round((Date.now() - started) / 1000)), {
      note: mib !== undefined ? `server ${mib.toFixed(0)} MiB` : '',
    });
  }, 2_000);
  const reportFile = join(runDir, 'artillery-report.json');
  // Artillery prints ~300 lines of metrics: they go to artillery.log, so our summary is what is read.
  const artilleryLog = join(runDir, 'artillery.log');
  const artilleryExit = await run(ARTILLERY, ['run', '--output', reportFile, configFile], artilleryLog, {
    LOAD_CUSTOMERS_FILE: customersFile,
    LOAD_LEDGER_FILE: ledgerFile,
    LOAD_RUN_ID: `${mode}${Date.now().toString(36)}`,
    ARTILLERY_DISABLE_TELEMETRY: 'true',
  });
  clearInterval(sampler);
  bar.finish(`artillery exited ${artilleryExit}; reconciling the lake`);
  const memory = samples.map((s) => s.mib);

  const lake = await lakeAfter(values, server, dataDir, customers);

  const ledger = readFileSync(ledgerFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LoadLedgerLine);
  const rawReport = JSON.parse(readFileSync(reportFile, 'utf8'));
  const artillery = readArtilleryReport(rawReport);
  const reconciliation = reconcile(ledger, lake.events, lake.quarantine);
  const growth = memoryGrowth(memory.filter((m) => Number.isFinite(m)));
  const failures = failuresOf(
    mode,
    values.p99,
    artilleryExit,
    artilleryLog,
    artillery,
    reconciliation,
    growth,
  );

  const result = {
    mode,
    target,
    phases,
    artillery,
    reconciliation: {
      ...reconciliation,
      missing: reconciliation.missing.slice(0, 50),
      unexplainedDuplicates: reconciliation.unexplainedDuplicates.slice(0, 50),
    },
    memory: { samplesMiB: memory, ...growth },
    series: loadSeries(rawReport.intermediate ?? [], samples),
    failures,
  };
  writeFileSync(join(runDir, 'result.json'), JSON.stringify(result, null, 2));
  writeFileSync(join(runDir, 'report.html'), await loadReportHtml(result));
  const summary = summaryOf(
    { mode, target, phases, artillery, reconciliation, memory: growth, failures },
    memory,
    runDir,
  );
  writeFileSync(join(runDir, 'summary.md'), `${summary}\n`);
  process.stdout.write(`\n${summary}\n`);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  return failures.length ? 1 : 0;
}

/** Where the run sends: the given --target with its customers' keys, or a local destination of our own. */
async function targetOf(values: CommandValues<typeof LOAD.flags>, mode: string) {
  let server: ChildProcess | undefined;
  let dataDir: string | undefined;
  let target = values.target;
  let customers: { customerId: string; token: string; weight: number }[];
  if (target) {
    customers = JSON.parse(readFileSync(values.tokens!, 'utf8'));
  } else {
    dataDir = mkdtempSync(join(tmpdir(), `${mode}-`));
    const store = new FileTokenStore(dataDir);
    customers = await Promise.all(
      CUSTOMERS.map(async (c) => ({
        ...c,
        token: (await createToken(store, c.customerId, new Date())).token,
      })),
    );
    ({ child: server, url: target } = await spawnDestination({
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      FLUSH_INTERVAL_MS: '500',
    }));
  }
  return { server, dataDir, target: target!, customers };
}

/** The load run's three phases, or the soak's one at --rate for --duration minutes. */
function phasesOf(mode: string, minutes: number, rate: number) {
  return mode === 'load'
    ? [
        { name: 'warm-up', duration: 10, arrivalRate: 10 },
        { name: 'steady', duration: 30, arrivalRate: 40 },
        { name: 'burst', duration: 10, arrivalRate: 100 },
      ]
    : [{ name: 'sustained', duration: Math.round(minutes * 60), arrivalRate: rate }];
}

/** The message ids in the lake once the run is over: the local server stopped, or S3 after Firehose settles. */
async function lakeAfter(
  values: CommandValues<typeof LOAD.flags>,
  server: ChildProcess | undefined,
  dataDir: string | undefined,
  customers: { customerId: string }[],
): Promise<LakeIds> {
  const ids = customers.map((c) => c.customerId);
  if (server && dataDir) {
    await stopServer(server);
    return localLakeIds(join(dataDir, 'lake'), ids);
  } else {
    // Firehose buffers up to its interval (60 s by default) before objects appear in S3.
    await new Promise((r) => setTimeout(r, values.settle * 1000));
    return s3LakeIds(values.bucket!, ids);
  }
}

/** What failed the run: thresholds, 5xx, client errors, anything acknowledged and not in the lake, a leak. */
function failuresOf(
  mode: string,
  p99: number,
  artilleryExit: number,
  artilleryLog: string,
  artillery: ReturnType<typeof readArtilleryReport>,
  reconciliation: ReturnType<typeof reconcile>,
  growth: ReturnType<typeof memoryGrowth>,
): string[] {
  return [
    artilleryExit !== 0
      ? `artillery exited ${artilleryExit} (a threshold failed: p99 > ${p99} ms or errors; see ${artilleryLog})`
      : '',
    artillery.serverErrors > 0 ? `${artillery.serverErrors} 5xx answers` : '',
    Object.keys(artillery.errors).length > 0 ? `client errors: ${JSON.stringify(artillery.errors)}` : '',
    reconciliation.missing.length > 0
      ? `${reconciliation.missing.length} acknowledged messages missing from the lake`
      : '',
    reconciliation.unexplainedDuplicates.length > 0
      ? `${reconciliation.unexplainedDuplicates.length} messages in the lake more often than acknowledged`
      : '',
    reconciliation.missingFromQuarantine.length > 0
      ? `${reconciliation.missingFromQuarantine.length} invalid messages missing from quarantine`
      : '',
    mode === 'soak' && growth.grew
      ? `server memory grew from ${growth.firstMiB.toFixed(0)} to ${growth.lastMiB.toFixed(0)} MiB`
      : '',
  ].filter(Boolean);
}

/** The run's summary as markdown: latencies, answers, the reconciliation and memory. */
function summaryOf(
  result: {
    mode: string;
    target: string;
    phases: { name: string; duration: number; arrivalRate: number }[];
    artillery: ReturnType<typeof readArtilleryReport>;
    reconciliation: ReturnType<typeof reconcile>;
    memory: ReturnType<typeof memoryGrowth>;
    failures: string[];
  },
  memory: number[],
  runDir: string,
): string {
  const { mode, target, phases, artillery, reconciliation, memory: growth, failures } = result;
  return [
    `# ${mode} run — ${failures.length ? 'FAILED' : 'passed'}`,
    '',
    `target: ${target}; phases: ${phases.map((p) => `${p.name} ${p.duration}s @ ${p.arrivalRate}/s`).join(', ')}`,
    '',
    '| requests | req/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | answers |',
    '|---|---|---|---|---|---|---|---|',
    `| ${artillery.requests} | ${artillery.requestsPerSecond.toFixed(1)} | ${artillery.latencyMs.p50} | ${artillery.latencyMs.p95} | ${artillery.latencyMs.p99} | ${artillery.latencyMs.p999} | ${artillery.latencyMs.max} | ${Object.entries(
      artillery.codes,
    )
      .map(([c, n]) => `${c}: ${n}`)
      .join(', ')} |`,
    '',
    '| reconciliation | |',
    '|---|---|',
    `| acknowledged messages (distinct) | ${reconciliation.acknowledgedMessages} (${reconciliation.distinctAcknowledged}) |`,
    `| missing from the lake | ${reconciliation.missing.length} |`,
    `| duplicates sent on purpose (Replay) | ${reconciliation.deliberateDuplicates} |`,
    `| unexplained duplicates | ${reconciliation.unexplainedDuplicates.length} |`,
    `| invalid on purpose → quarantine | ${reconciliation.expectedQuarantined - reconciliation.missingFromQuarantine.length} of ${reconciliation.expectedQuarantined} |`,
    '',
    memory.length
      ? `server memory: ${Math.min(...memory).toFixed(0)}–${Math.max(...memory).toFixed(0)} MiB over ${memory.length} samples (steady first quarter ${growth.firstMiB.toFixed(0)}, last ${growth.lastMiB.toFixed(0)} MiB)`
      : '',
    '',
    ...(failures.length ? ['Failures:', ...failures.map((f) => `- ${f}`)] : ['No failures.']),
    '',
    `Report: ${join(runDir, 'report.html')}`,
    `Files: ${runDir}`,
  ].join('\n');
}

function ensureArtillery(): void {
  if (existsSync(ARTILLERY)) return;
  process.stdout.write('Installing artillery into test/load (once, ~500 MB)…\n');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: LOAD_DIR,
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  if (install.status !== 0) throw new Error('npm ci in test/load failed');
}

function run(command: string, args: string[], logFile: string, env: Record<string, string>): Promise<number> {
  const log = openSync(logFile, 'w');
  return new Promise((done) => {
    const child = spawn(command, args, {
      cwd: LOAD_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
    });
    child.once('exit', (code) => {
      closeSync(log);
      done(code ?? 1);
    });
  });
}

runCommand(LOAD, async ({ values }) => {
  const code = await main(values);
  if (code !== 0) process.exit(code);
});
