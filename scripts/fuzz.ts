import * as v from 'valibot';
import { parseFaultPlan } from '../adapters/faults/fault-injecting-sink';
import { silentLogger } from '../adapters/system/json-logger';
import { type CommandSpec, type Flag, runCommand, wholeNumber } from '../cli/command';
import { jsonFlag } from '../cli/flags';
import { progress } from '../cli/progress';
import { formatFuzzReport, runFuzz } from './fuzz/run-fuzz';

const FUZZ = {
  name: 'npm run fuzz --',
  summary:
    'Seeded valid and hostile HTTP traffic against a local destination it starts on 127.0.0.1, then a lake\nreconciliation. Exits 1 on any lost acknowledged event or any 5xx of ours.',
  flags: {
    requests: {
      kind: 'value',
      schema: wholeNumber(1, 1_000_000),
      unit: 'requests',
      description: 'requests to send',
      default: '500',
    },
    seed: {
      kind: 'value',
      schema: wholeNumber(0, 2 ** 31),
      unit: 'seed',
      description: 'replay a run (default: random, printed)',
    },
    concurrency: {
      kind: 'value',
      schema: wholeNumber(1, 256),
      unit: 'requests',
      description: 'requests in flight at once',
      default: '4',
    },
    faults: {
      kind: 'value',
      schema: v.pipe(
        v.string(),
        v.check((text) => {
          try {
            parseFaultPlan(text);
            return true;
          } catch {
            return false;
          }
        }, 'a fault plan such as throttle=0.3,crash=0.02'),
      ),
      unit: 'plan',
      description: 'inject sink faults (throttle, unavailable, crash, latency, seed)',
    },
    json: jsonFlag('the report as JSON on stdout'),
  },
  examples: [
    'npm run fuzz -- --requests 2000 --seed 7',
    'npm run fuzz -- --requests 500 --faults throttle=0.3,unavailable=0.05',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(FUZZ, async ({ values }) => {
  const faults = values.faults ? parseFaultPlan(values.faults) : undefined;
  const bar = progress({ label: 'fuzz', unit: 'requests', total: values.requests });
  const report = await runFuzz({
    requests: values.requests,
    seed: values.seed ?? Math.floor(Math.random() * 2 ** 31),
    concurrency: values.concurrency,
    logger: silentLogger,
    ...(faults ? { faults } : {}),
    // Progress on stderr: stdout carries the report (and with --json nothing else).
    onProgress: (done) => bar.update(done),
    progressEvery: 10,
  });
  bar.finish();
  process.stdout.write(`${values.json ? JSON.stringify(report) : formatFuzzReport(report)}\n`);
  const crashesAllowDuplicates = (faults?.crashRate ?? 0) > 0;
  if (
    report.lost.length > 0 ||
    report.ourServerErrors > 0 ||
    (report.duplicated.length > 0 && !crashesAllowDuplicates)
  )
    process.exit(1);
});
