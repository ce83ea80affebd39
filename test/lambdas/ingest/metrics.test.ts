import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import {
  createFakeClock,
  createIngestEvent,
  createTrackMessage,
  lambdaContext,
} from '../../support/factories';
import { retry } from '../../support/ingest-harness';
import { MemorySink } from '../../support/memory/memory-sink';

describe('ingest metrics', () => {
  function recordingMetrics() {
    const counts: Record<string, number> = {};
    let flushes = 0;
    return {
      counts,
      flushes: () => flushes,
      metrics: {
        count: (name: string, value: number, reason?: string) => {
          const key = reason ? `${name}:${reason}` : name;
          counts[key] = (counts[key] ?? 0) + value;
        },
        flush: () => {
          flushes += 1;
        },
      },
    };
  }

  it('counts requests, accepted events and quarantined ones by reason, and publishes once per invocation', async () => {
    const recorder = recordingMetrics();
    const handler = createIngestHandler({
      sink: new MemorySink(),
      clock: createFakeClock(),
      retry,
      limits: DEFAULT_LIMITS,
      logger: { info() {}, warn() {}, error() {} },
      metrics: recorder.metrics,
    });
    const body = JSON.stringify([
      createTrackMessage(),
      createTrackMessage(),
      { type: 'track', userId: 'u' },
      { type: 'launch', userId: 'u' },
    ]);

    await handler(createIngestEvent({ body }), lambdaContext);

    expect(recorder.counts).toEqual({
      Requests: 1,
      EventsAccepted: 2,
      'EventsQuarantined:missing_field': 1,
      'EventsQuarantined:unsupported_type': 1,
    });
    expect(recorder.flushes()).toBe(1);
  });

  it('counts an exhausted sink budget, and still publishes', async () => {
    const recorder = recordingMetrics();
    const sink = new MemorySink(1_000 * 1024, () => ({
      ok: false,
      retryable: true,
      code: 'ServiceUnavailable',
    }));
    const handler = createIngestHandler({
      sink,
      clock: createFakeClock(),
      retry,
      limits: DEFAULT_LIMITS,
      logger: { info() {}, warn() {}, error() {} },
      metrics: recorder.metrics,
    });

    const answer = await handler(
      createIngestEvent({ body: JSON.stringify(createTrackMessage()) }),
      lambdaContext,
    );

    expect(answer.statusCode).toBe(503);
    expect(recorder.counts.SinkBudgetExhausted).toBe(1);
    expect(recorder.flushes()).toBe(1);
  });
});
