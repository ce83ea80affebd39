import { systemClock } from '../../adapters/system/clock';
import type { PackedRecord } from '../../domain/core/common/ports';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { INGEST_DEADLINE, ingestBreakers } from '../../domain/core/ingest/request-deadline';
import { benchIngestDeps } from './core-bench';
import { sampleMessages } from './sample-traffic';

export interface IngestMeasurement {
  /** The ingest core per request of `eventsPerRequest` sample events, warm (ms). */
  coreMs: number;
  /**
   * Bytes put into the stream per byte of the events as sent: the lake lines (the message plus our
   * fields) and the request's ledger line.
   */
  lineBytesPerEventByte: number;
  /** Bytes of the ledger line each request adds. */
  ledgerLineBytes: number;
  /** The records one request puts, in bytes, in the order put (the events', then the ledger's). */
  recordBytes: number[];
  /** The average size of the sample events as sent (bytes). */
  sampleEventBytes: number;
  /** Calls of the sink per request (as on AWS, where the ledger line is put after the events). */
  sinkCalls: number;
  /** The fields of the request's INFO line (`ingested`), for the cost of logging it. */
  loggedFields: Record<string, unknown>;
}

/**
 * Measures the code the cost model and replay-sim stand on: the core on k-message requests of the bench's
 * sample traffic (~1.3 KB Segment messages) over an instant sink, for about `ms` after a warm-up — with
 * the deployed function's deadline and breakers around its calls, as on AWS.
 */
export async function measureIngest(eventsPerRequest: number, ms = 1_000): Promise<IngestMeasurement> {
  const messages = sampleMessages(eventsPerRequest, 5);
  const body = JSON.stringify({ batch: messages });
  let putBytes = 0;
  let ledgerLineBytes = 0;
  let sinkCalls = 0;
  const recordBytes: number[] = [];
  let loggedFields: Record<string, unknown> = {};
  const deps = {
    ...benchIngestDeps,
    logger: {
      ...benchIngestDeps.logger,
      info: (_: string, fields?: Record<string, unknown>) => {
        loggedFields = fields ?? {};
      },
    },
    deadline: { policy: INGEST_DEADLINE, breakers: ingestBreakers(systemClock) },
    sink: {
      ...benchIngestDeps.sink,
      allOrNothing: false,
      put: (records: readonly PackedRecord[]) => {
        sinkCalls += 1;
        for (const r of records) {
          putBytes += Buffer.byteLength(r.data);
          recordBytes.push(Buffer.byteLength(r.data));
          if (r.area === 'ledger') ledgerLineBytes = Buffer.byteLength(r.data);
        }
        return benchIngestDeps.sink.put(records);
      },
    },
  };
  const request = { body, customerId: 'c', requestId: 'measure', aliases: new Map() };
  await ingestRequest(request, deps);
  const measuredCalls = sinkCalls;
  const measuredRecords = [...recordBytes];
  const measuredFields = loggedFields;
  const eventBytes = messages.reduce((sum, m) => sum + Buffer.byteLength(JSON.stringify(m)), 0);
  const lineBytesPerEventByte = putBytes / eventBytes;
  for (let i = 0; i < 50; i++) await ingestRequest(request, deps);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    await ingestRequest(request, deps);
    n += 1;
  }
  return {
    coreMs: (performance.now() - start) / n,
    lineBytesPerEventByte,
    ledgerLineBytes,
    recordBytes: measuredRecords,
    sampleEventBytes: eventBytes / messages.length,
    sinkCalls: measuredCalls,
    loggedFields: measuredFields,
  };
}
