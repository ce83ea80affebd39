import { parseArgs } from 'node:util';
import { parseFaultPlan } from '../lambdas/adapters/faults/fault-injecting-sink';
import { silentLogger } from '../lambdas/adapters/system/json-logger';
import { formatFuzzReport, runFuzz } from './fuzz/run-fuzz';

/**
 * `npm run fuzz -- --requests <n> [--seed <s>] [--concurrency <c>] [--faults throttle=0.3,...] [--json]`
 * Starts its own local destination on 127.0.0.1, so no traffic leaves the machine. Exits 1 on any
 * lost acknowledged event or any 5xx of ours.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '500' },
      seed: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      faults: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const requests = Number(values.requests);
  if (!Number.isInteger(requests) || requests < 1 || requests > 1_000_000)
    throw new Error('--requests must be a whole number from 1 to 1,000,000');
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const faults = values.faults ? parseFaultPlan(values.faults) : undefined;
  const report = await runFuzz({
    requests,
    seed,
    concurrency: Number(values.concurrency),
    logger: silentLogger,
    ...(faults ? { faults } : {}),
  });
  process.stdout.write(`${values.json ? JSON.stringify(report) : formatFuzzReport(report)}\n`);
  const crashesAllowDuplicates = (faults?.crashRate ?? 0) > 0;
  if (
    report.lost.length > 0 ||
    report.ourServerErrors > 0 ||
    (report.duplicated.length > 0 && !crashesAllowDuplicates)
  )
    process.exit(1);
}

main().catch((error: Error) => {
  console.error(`fuzz: ${error.message}`);
  process.exit(2);
});
