import { systemClock } from '../../adapters/system/clock';
import { silentLogger } from '../../adapters/system/json-logger';
import type { PutOutcome, RecordSink } from '../../domain/core/common/ports';
import { DEFAULT_RETRY_POLICY } from '../../domain/core/ingest/deliver';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { FIREHOSE_MAX_RECORD_BYTES } from '../../domain/core/lake/pack-records';
import { sideBySide } from './measure';
import { sampleMessages } from './sample-traffic';

export interface CoreBenchResult {
  batchSize: number;
  coreEventsPerSecond: number;
  floorEventsPerSecond: number;
  /** core ÷ floor: the share of the JSON floor's speed the whole core keeps. */
  ratio: number;
}

// A customer's alias table is the same Map on every request (compiled once, domain/core/keys/principal.ts),
// so the bench passes one too: a new Map per request would defeat the event-name memo no request misses.
export const NO_ALIASES: ReadonlyMap<string, string> = new Map();

/** A sink that acknowledges at once: the bench measures the core, not storage. */
const instantSink: RecordSink = {
  maxRecordBytes: FIREHOSE_MAX_RECORD_BYTES,
  put: async (records) => records.map((): PutOutcome => ({ ok: true })),
};

/** The ingest dependencies every core bench runs with: the instant sink and the defaults. */
export const benchIngestDeps = {
  sink: instantSink,
  clock: systemClock,
  retry: DEFAULT_RETRY_POLICY,
  limits: DEFAULT_LIMITS,
  logger: silentLogger,
};

// BENCH_SLOWDOWN=n: the core does its work n times per request (see benchCore).
const SLOWDOWN = Math.max(1, Number(process.env.BENCH_SLOWDOWN ?? 1) || 1);

/** The bodies the core bench (and `npm run profile`) send in turn: 16 batches of seeded messages. */
export function coreBenchBodies(batchSize: number): string[] {
  return Array.from({ length: 16 }, (_, i) =>
    JSON.stringify({ batch: sampleMessages(batchSize, i + 1), sentAt: '2026-11-28T10:00:00.000Z' }),
  );
}

/**
 * Events/s through the whole core (decode, validate, normalize, partition, pack, and the delivery
 * loop over an instant sink) against the floor on the same bytes: JSON.parse of the body plus
 * JSON.stringify of each message.
 */
export async function benchCore(batchSize: number, seconds: number): Promise<CoreBenchResult> {
  const bodies = coreBenchBodies(batchSize);
  const deps = benchIngestDeps;
  let i = 0;
  const [core, floor] = await sideBySide(
    {
      name: 'core',
      run: async () => {
        // BENCH_SLOWDOWN=n does the core's work n times per request: a planted regression that
        // `npm run bench -- --check` must catch (test/scripts/bench/regression-guard.test.ts).
        for (let extra = 1; extra < SLOWDOWN; extra++)
          await ingestRequest(
            {
              body: bodies[i % bodies.length]!,
              customerId: 'bench',
              requestId: `bench-x${extra}`,
              aliases: NO_ALIASES,
            },
            deps,
          );
        const answer = await ingestRequest(
          {
            body: bodies[i++ % bodies.length]!,
            customerId: 'bench',
            requestId: `bench-${i}`,
            aliases: NO_ALIASES,
          },
          deps,
        );
        if (answer.statusCode !== 200) throw new Error(`core answered ${answer.statusCode}`);
        return batchSize;
      },
    },
    {
      name: 'floor',
      run: () => {
        const parsed = JSON.parse(bodies[i++ % bodies.length]!) as { batch: unknown[] };
        let bytes = 0;
        for (const message of parsed.batch) bytes += JSON.stringify(message).length;
        if (bytes === 0) throw new Error('nothing serialized');
        return batchSize;
      },
    },
    seconds,
  );
  return {
    batchSize,
    coreEventsPerSecond: core.eventsPerSecond,
    floorEventsPerSecond: floor.eventsPerSecond,
    ratio: core.eventsPerSecond / floor.eventsPerSecond,
  };
}
