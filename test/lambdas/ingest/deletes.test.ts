import type { ErasureRequest } from '../../../domain/contract/erasure';
import type { Logger } from '../../../domain/core/common/ports';
import type { ErasureLog } from '../../../domain/core/erasure/erasure-log';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import { createFakeClock, createIngestEvent, lambdaContext } from '../../support/factories';
import { json, retry } from '../../support/ingest-harness';
import { MemorySink } from '../../support/memory/memory-sink';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function handlerWith(erasures: ErasureLog | undefined, sink = new MemorySink()) {
  const counted: string[] = [];
  const handler = createIngestHandler({
    sink,
    clock: createFakeClock(),
    retry,
    limits: DEFAULT_LIMITS,
    logger: silent,
    erasures,
    metrics: { count: (name, n) => counted.push(`${name}=${n}`), flush: () => undefined },
  });
  return {
    sink,
    counted,
    invoke: (body: unknown, type?: string) =>
      handler(
        createIngestEvent({ body: JSON.stringify(body), ...(type ? { type, path: `/v1/${type}` } : {}) }),
        lambdaContext,
      ),
  };
}

describe('ingest: Segment delete', () => {
  it('records the request before answering 200, lands nothing of it, and counts it', async () => {
    const recorded: Omit<ErasureRequest, 'user_hash'>[] = [];
    const { sink, counted, invoke } = handlerWith({
      record: async (r) => {
        recorded.push(...r);
      },
      erasedFilter: async () => undefined,
    });
    const answer = await invoke({ userId: 'u1', messageId: 'd1' }, 'delete');

    expect(answer.statusCode).toBe(200);
    expect(json(answer)).toMatchObject({ accepted: 0, deletes: 1 });
    expect(recorded).toEqual([
      expect.objectContaining({ customer_id: expect.any(String), message_id: 'd1', user_id: 'u1' }),
    ]);
    expect(sink.lines('events')).toEqual([]);
    expect(counted).toContain('DeletesRecorded=1');
  });

  it('answers 503 (Segment resends) when the request cannot be recorded, and stores nothing of the batch', async () => {
    const { sink, invoke } = handlerWith({
      record: async () => {
        throw new Error('table unavailable');
      },
      erasedFilter: async () => undefined,
    });
    const answer = await invoke({
      batch: [
        { type: 'delete', userId: 'u1', messageId: 'd1' },
        { type: 'track', userId: 'u2', event: 'E' },
      ],
    });

    expect(answer.statusCode).toBe(503);
    expect(sink.lines('events')).toEqual([]);
    // Without an erasure log at all, the same: never a 200 for a delete nobody will execute.
    expect((await handlerWith(undefined).invoke({ type: 'delete', userId: 'u1' })).statusCode).toBe(503);
  });

  it('drops resends of an erased user’s old data, and still answers when the list cannot be read', async () => {
    const { sink, counted, invoke } = handlerWith({
      record: async () => undefined,
      erasedFilter: async () => (userId) => userId === 'gone',
    });
    const answer = await invoke({
      batch: [
        { type: 'track', userId: 'gone', event: 'E', messageId: 'x1' },
        { type: 'track', userId: 'kept', event: 'E', messageId: 'x2' },
      ],
    });

    expect(json(answer)).toMatchObject({ accepted: 1, erased: 1 });
    expect(sink.lines('events').map((l) => l.message_id)).toEqual(['x2']);
    expect(counted).toContain('EventsErasedOnArrival=1');
    const broken = handlerWith({
      record: async () => undefined,
      erasedFilter: async () => {
        throw new Error('table unavailable');
      },
    });
    expect((await broken.invoke({ type: 'track', userId: 'gone', event: 'E' })).statusCode).toBe(200);
  });
});
