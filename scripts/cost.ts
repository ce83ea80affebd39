import { parseArgs } from 'node:util';
import { systemClock } from '../lambdas/adapters/system/clock';
import { silentLogger } from '../lambdas/adapters/system/json-logger';
import type { PutOutcome } from '../lambdas/core/common/ports';
import { DEFAULT_RETRY_POLICY } from '../lambdas/core/ingest/deliver';
import { ingestRequest } from '../lambdas/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../lambdas/core/ingest/limits';
import { sampleMessages } from './bench/sample-traffic';
import { estimateCost } from './cost/cost-model';

/**
 * `npm run cost -- --events <n> --per-request <k> [--sink-ms 10] [--direct] [--days 30]`
 * The ingest duration is measured here (the core on k-message requests, warm) plus `--sink-ms`, the
 * Kinesis/Firehose round trip that cannot be measured offline (default 10 ms, an assumption).
 */
async function measureCoreMs(perRequest: number): Promise<number> {
  const body = JSON.stringify({ batch: sampleMessages(perRequest, 5) });
  const deps = {
    sink: {
      maxRecordBytes: 1_000 * 1024,
      put: async (r: readonly unknown[]) => r.map((): PutOutcome => ({ ok: true })),
    },
    clock: systemClock,
    retry: DEFAULT_RETRY_POLICY,
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  };
  for (let i = 0; i < 50; i++)
    await ingestRequest({ body, customerId: 'c', requestId: 'cost', aliases: new Map() }, deps);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1_000) {
    await ingestRequest({ body, customerId: 'c', requestId: 'cost', aliases: new Map() }, deps);
    n += 1;
  }
  return (performance.now() - start) / n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000000' },
      'per-request': { type: 'string', default: '1' },
      'event-bytes': { type: 'string', default: '1300' },
      'sink-ms': { type: 'string', default: '10' },
      'memory-mb': { type: 'string', default: '512' },
      direct: { type: 'boolean', default: false },
      days: { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
    },
  });
  const perRequest = Number(values['per-request']);
  const events = Number(values.events);
  if (!(events > 0) || !(perRequest >= 1))
    throw new Error('--events and --per-request must be positive numbers');
  const coreMs = await measureCoreMs(Math.min(perRequest, 1_000));
  const lambdaMs = coreMs + Number(values['sink-ms']);
  const lines = estimateCost({
    events,
    perRequest,
    eventBytes: Number(values['event-bytes']),
    lambdaMs,
    lambdaMemoryMb: Number(values['memory-mb']),
    stream: !values.direct,
    streamHours: Number(values.days) * 24,
    partitionsPerRequest: 1,
  });
  const total = lines.reduce((sum, l) => sum + l.usd, 0);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ coreMs, lambdaMs, lines, total })}\n`);
    return;
  }
  const out = [
    `${events.toLocaleString('en-US')} events, ${perRequest} per request; ingest ≈ ${coreMs.toFixed(2)} ms measured + ${values['sink-ms']} ms sink (assumed)`,
    '',
  ];
  for (const l of lines) out.push(`${l.service.padEnd(32)} $${l.usd.toFixed(2).padStart(12)}   ${l.basis}`);
  out.push(`${'total'.padEnd(32)} $${total.toFixed(2).padStart(12)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: Error) => {
  console.error(`cost: ${error.message}`);
  process.exit(2);
});
