import { parseArgs } from 'node:util';
import { simulateReplay } from './replay/replay-model';

// Quotas from shared/docs/architecture.md (AWS public docs, late 2026).
const ACTIVE_PARTITIONS_DEFAULT = 500;
const ACTIVE_PARTITIONS_MAX = 5_000;
const DIRECT_PUT_REQUESTS_PER_SECOND = 2_000;
const DIRECT_PUT_MIB_PER_SECOND = 5;

/**
 * `npm run replay-sim -- --customers 20 --years 3 --events-per-day 50000 --replay-rate 2000
 *   --concurrent 5 --buffer-seconds 60 [--order chronological|shuffled] [--live-rate 50]`
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '20' },
      years: { type: 'string', default: '3' },
      'events-per-day': { type: 'string', default: '50000' },
      'replay-rate': { type: 'string', default: '2000' },
      concurrent: { type: 'string', default: '5' },
      'buffer-seconds': { type: 'string', default: '60' },
      order: { type: 'string', default: 'chronological' },
      'live-rate': { type: 'string', default: '20' },
      'live-customers': { type: 'string' },
      'event-bytes': { type: 'string', default: '1300' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.order !== 'chronological' && values.order !== 'shuffled')
    throw new Error('--order is chronological or shuffled');
  const n = (key: keyof typeof values) => {
    const value = Number(values[key]);
    if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`--${key} must be a number ≥ 0`);
    return value;
  };
  const scenario = {
    customers: n('customers'),
    years: n('years'),
    eventsPerDay: n('events-per-day'),
    replayEventsPerSecond: n('replay-rate'),
    concurrentReplays: Math.max(1, n('concurrent')),
    bufferSeconds: Math.max(1, n('buffer-seconds')),
    order: values.order,
    liveEventsPerSecond: n('live-rate'),
    liveCustomers: values['live-customers'] === undefined ? n('customers') : n('live-customers'),
    eventBytes: n('event-bytes'),
    now: Date.UTC(2026, 10, 28),
  } as const;
  const report = simulateReplay(scenario);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ scenario, report })}\n`);
    return;
  }
  const advice: string[] = [];
  if (report.peakActivePartitions > ACTIVE_PARTITIONS_MAX)
    advice.push(
      `Peak partitions exceed even the raised quota (${ACTIVE_PARTITIONS_MAX}): replay fewer customers at once (--concurrent) or lower the replay rate; overflow goes to errors/activePartitionExceeded/ and must be redriven.`,
    );
  else if (report.peakActivePartitions > ACTIVE_PARTITIONS_DEFAULT)
    advice.push(
      `Request an active-partition quota increase for the Firehose stream to at least ${Math.ceil((report.peakActivePartitions * 1.25) / 100) * 100} (default ${ACTIVE_PARTITIONS_DEFAULT}, max ${ACTIVE_PARTITIONS_MAX}) before the Replay.`,
    );
  else advice.push(`Active partitions stay within the default quota (${ACTIVE_PARTITIONS_DEFAULT}).`);
  if (
    report.peakEventsPerSecond > DIRECT_PUT_REQUESTS_PER_SECOND ||
    report.peakMiBPerSecond > DIRECT_PUT_MIB_PER_SECOND
  )
    advice.push(
      `Deploy with delivery=stream (the default): single-event requests at ${Math.round(report.peakEventsPerSecond)}/s exceed Firehose Direct PUT's ${DIRECT_PUT_REQUESTS_PER_SECOND} requests/s or ${DIRECT_PUT_MIB_PER_SECOND} MiB/s.`,
    );
  else advice.push('delivery=direct would keep up; stream mode still absorbs bursts better.');
  advice.push(
    `Raise API Gateway stage throttling (throttleRateLimit) above ${Math.ceil(report.peakEventsPerSecond * 1.2)} requests/s if Segment sends one event per request.`,
  );
  const lines = [
    `Replay of ${scenario.customers} customers × ${scenario.years} years × ${scenario.eventsPerDay.toLocaleString('en-US')} events/day, ${scenario.concurrentReplays} at a time at ${scenario.replayEventsPerSecond} events/s each (${scenario.order}), Firehose buffer ${scenario.bufferSeconds} s`,
    '',
    `  duration:                 ${(report.durationSeconds / 3600).toFixed(1)} h`,
    `  peak active partitions:   ${report.peakActivePartitions} (quota ${ACTIVE_PARTITIONS_DEFAULT} default, ${ACTIVE_PARTITIONS_MAX} max)`,
    `  peak ingest:              ${Math.round(report.peakEventsPerSecond).toLocaleString('en-US')} events/s, ${report.peakMiBPerSecond.toFixed(1)} MiB/s`,
    '',
    ...advice.map((a) => `- ${a}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  main();
} catch (error) {
  console.error(`replay-sim: ${(error as Error).message}`);
  process.exit(2);
}
