import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { lakeObjectKey } from '../../adapters/local/lake-layout';
import { FACT_INPUT } from '../../domain/contract/sql/identity-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import type { PutOutcome, RecordSink } from '../../domain/core/common/ports';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { FIREHOSE_MAX_RECORD_BYTES } from '../../domain/core/lake/pack-records';
import { buildIdentities } from '../../local/identity-tables';
import { openLocalLake } from '../../local/lake-query';
import { curatedFiles } from '../../local/read-lake';
import { runCompaction } from '../compact/run-compaction';
import { runIntent } from '../intent/run-intent';
import { simulateJourneyStream } from '../simulate/journeys';
import { benchIngestDeps } from './lake-bench';
import { rssSampler } from './measure';

export interface SimulatedIdentityResult {
  people: number;
  messages: number;
  /** Through the ingest core into landing objects (setup). */
  ingestSeconds: number;
  /** `npm run compact`: the curated table and the graph, from the landing objects. */
  compactSeconds: number;
  compactPeakRssMiB: number;
  /** The graph alone, built again from the curated rows (what the compaction's graph step costs). */
  graphSeconds: number;
  graphPeakRssMiB: number;
  anonymousIds: number;
  users: number;
  identities: number;
  shared: number;
  /** Anonymous ids linked to a user id, of those seen: a signed-up visitor's devices are linked. */
  linkedAnonymousIds: number;
  /** The curated table's rows and compressed Parquet bytes a row (every column): Athena's arithmetic. */
  curatedRows: number;
  curatedBytesPerRow: number;
  /** Of those, the bytes a row of the columns the identity facts read (FACT_INPUT). */
  factBytesPerRow: number;
  /** `npm run intent` on the same lake (the simulator's planted pricing signal), by person. */
  intent: {
    seconds: number;
    peakRssMiB: number;
    validationAuc: number;
    grade: string;
    scoredPersons: number;
    chosen: string;
  };
}

/** Messages a request carries, as analytics.js batches them. */
const BATCH = 100;
/** Lines a landing object holds before it is written (a Firehose buffer's worth). */
const OBJECT_LINES = 50_000;

/**
 * `npm run bench -- --only identity`, its second and third lines: the identity graph on the simulator's
 * traffic — people with one to three devices, anonymous until they sign up, log-ins and log-outs, shared devices
 * and aliases (`npm run simulate`'s `devices` traffic, scripts/simulate/journeys.ts) — sent through the
 * ingest core (no HTTP) into landing objects, compacted by `npm run compact` (the curated table and the
 * graph), then the graph built again alone, and `npm run intent` on the same lake (its planted pricing
 * signal, by person), each timed with this process's peak resident memory.
 */
export async function benchSimulatedIdentity(
  people: number,
  onStep: (s: string) => void = () => {},
): Promise<SimulatedIdentityResult> {
  const lake = mkdtempSync(join(tmpdir(), 'bench-sim-identity-'));
  const memory = rssSampler();
  const customer = 'sim';
  try {
    onStep(`simulating ${people.toLocaleString('en-US')} people through the ingest core`);
    let started = performance.now();
    const buffers = new Map<string, string[]>();
    let objects = 0;
    const flush = (dt: string, lines: string[]) => {
      const path = join(
        lake,
        lakeObjectKey('events', customer, dt, `sim-${String(++objects).padStart(6, '0')}`),
      );
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, gzipSync(lines.join('')));
    };
    let receivedAt = 0;
    const sink: RecordSink = {
      maxRecordBytes: FIREHOSE_MAX_RECORD_BYTES,
      put: async (records) => {
        for (const r of records) {
          if (r.area !== 'events') continue;
          const lines = buffers.get(r.dt) ?? [];
          lines.push(r.data.toString('utf8'));
          if (lines.length >= OBJECT_LINES) {
            flush(r.dt, lines);
            buffers.delete(r.dt);
          } else buffers.set(r.dt, lines);
        }
        return records.map((): PutOutcome => ({ ok: true }));
      },
    };
    const deps = benchIngestDeps(sink, () => receivedAt, seededRandom(3));
    let messages = 0;
    let batch: Record<string, unknown>[] = [];
    const send = async () => {
      // Received a minute after the batch's last message was sent.
      receivedAt = Date.parse(String(batch.at(-1)!.timestamp)) + 60_000;
      const answer = await ingestRequest(
        {
          body: JSON.stringify({ batch }),
          customerId: customer,
          requestId: `sim-${messages}`,
          aliases: new Map(),
        },
        deps,
      );
      if (answer.statusCode !== 200)
        throw new Error(`the ingest core answered ${answer.statusCode}: ${answer.body}`);
      messages += batch.length;
      batch = [];
    };
    for (const message of simulateJourneyStream({
      customer,
      users: people,
      days: 90,
      seed: 7,
      signal: 'pricing',
      end: '2026-03-31',
      identity: 'devices',
    })) {
      batch.push(message);
      if (batch.length === BATCH) await send();
    }
    if (batch.length > 0) await send();
    for (const [dt, lines] of buffers) flush(dt, lines);
    const ingestSeconds = (performance.now() - started) / 1000;
    memory.reset();

    onStep('npm run compact: the curated table and the graph');
    started = performance.now();
    await runCompaction({ lakeRoot: lake });
    const compactSeconds = (performance.now() - started) / 1000;
    const compactPeakRssMiB = memory.reset();

    onStep('the graph alone, again');
    started = performance.now();
    const built = await buildIdentities(lake, [customer]);
    const graphSeconds = (performance.now() - started) / 1000;
    const graphPeakRssMiB = memory.reset();
    if (built.failed.length > 0) throw new Error(`the graph failed: ${built.failed[0]!.reason}`);

    onStep('npm run intent on the same lake');
    started = performance.now();
    const scored = await runIntent({ lakeRoot: lake, customer, event: 'signed_up' });
    const intent = {
      seconds: (performance.now() - started) / 1000,
      peakRssMiB: memory.reset(),
      validationAuc: scored.validationAuc,
      grade: scored.quality.grade,
      scoredPersons: scored.scored.users,
      chosen: scored.chosen,
    };

    const querier = await openLocalLake(lake);
    try {
      const [graph] = (
        await querier.query(
          `SELECT (SELECT count(DISTINCT anonymous_id) FROM events_curated WHERE anonymous_id IS NOT NULL) AS anonymous_ids,
            (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM identities) AS identities,
            (SELECT count_if(shared) FROM identities) AS shared,
            (SELECT count(DISTINCT anonymous_id) FROM identities) AS linked`,
        )
      ).rows;
      // Bytes as Athena scans them: each column chunk's compressed size, from the files' own metadata.
      const files = curatedFiles(lake)
        .map((f) => literal(f))
        .join(', ');
      const [size] = (
        await querier.query(
          `SELECT (SELECT sum(num_rows) FROM parquet_file_metadata([${files}])) AS curated_rows, sum(total_compressed_size) AS all_bytes,
            sum(total_compressed_size) FILTER (WHERE path_in_schema IN (${FACT_INPUT.map(literal).join(', ')})) AS fact_bytes
            FROM parquet_metadata([${files}])`,
        )
      ).rows;
      const curatedRows = Number(size!.curated_rows);
      return {
        people,
        messages,
        ingestSeconds,
        compactSeconds,
        compactPeakRssMiB,
        graphSeconds,
        graphPeakRssMiB,
        anonymousIds: Number(graph!.anonymous_ids),
        users: Number(graph!.users),
        identities: Number(graph!.identities),
        shared: Number(graph!.shared),
        linkedAnonymousIds: Number(graph!.linked),
        curatedRows,
        curatedBytesPerRow: Number(size!.all_bytes) / curatedRows,
        factBytesPerRow: Number(size!.fact_bytes) / curatedRows,
        intent,
      };
    } finally {
      querier.close();
    }
  } finally {
    memory.stop();
    rmSync(lake, { recursive: true, force: true });
  }
}
