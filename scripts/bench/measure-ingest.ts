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
  const deps = {
    ...benchIngestDeps,
    deadline: { policy: INGEST_DEADLINE, breakers: ingestBreakers(systemClock) },
    sink: {
      ...benchIngestDeps.sink,
      put: (records: readonly PackedRecord[]) => {
        for (const r of records) {
          putBytes += Buffer.byteLength(r.data);
          if (r.area === 'ledger') ledgerLineBytes = Buffer.byteLength(r.data);
        }
        return benchIngestDeps.sink.put(records);
      },
    },
  };
  const request = { body, customerId: 'c', requestId: 'measure', aliases: new Map() };
  await ingestRequest(request, deps);
  const eventBytes = messages.reduce((sum, m) => sum + Buffer.byteLength(JSON.stringify(m)), 0);
  const lineBytesPerEventByte = putBytes / eventBytes;
  for (let i = 0; i < 50; i++) await ingestRequest(request, deps);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    await ingestRequest(request, deps);
    n += 1;
  }
  return { coreMs: (performance.now() - start) / n, lineBytesPerEventByte, ledgerLineBytes };
}
