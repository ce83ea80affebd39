import type { MetricName } from '../../../domain/contract/metrics';
import type { BreakerSettings } from '../../../domain/core/common/breaker';
import type { Logger, PackedRecord, PutOutcome, RecordSink } from '../../../domain/core/common/ports';
import type { ErasureLog } from '../../../domain/core/erasure/erasure-log';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { type DeadlinePolicy, ingestBreakers } from '../../../domain/core/ingest/request-deadline';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import {
  createIngestEvent,
  createPinnedClock,
  createTrackMessage,
  lambdaContext,
} from '../../support/factories';
import { json, retry } from '../../support/ingest-harness';
import { MemorySink } from '../../support/memory/memory-sink';

// The ingest function's deadline and breakers, scaled down ten times so that the suite waits little:
// real timers (a pinned clock), dependencies that never answer or answer too late.
const POLICY: DeadlinePolicy = {
  totalMs: 100,
  ledgerReserveMs: 25,
  storeFloorMs: 25,
  fairShareMs: 10,
  erasureFilterMs: 15,
  retryAfterSeconds: 30,
};
const BREAKER: BreakerSettings = { timeouts: 3, windowMs: 10_000, openMs: 300 };
// What a test may wait beyond the deadline: a loaded CI machine's timer lag.
const SLACK_MS = 150;

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const never = () => new Promise<never>(() => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A memory sink whose puts can be made to hang, or to answer late (and then store). */
class SlowSink implements RecordSink {
  readonly memory = new MemorySink();
  readonly maxRecordBytes = this.memory.maxRecordBytes;
  mode: 'ok' | 'never' | { lateMs: number } | ((records: readonly PackedRecord[]) => 'ok' | 'never') = 'ok';
  puts = 0;
  aborted = 0;

  async put(records: readonly PackedRecord[], signal?: AbortSignal): Promise<PutOutcome[]> {
    this.puts += 1;
    signal?.addEventListener('abort', () => (this.aborted += 1), { once: true });
    const mode = typeof this.mode === 'function' ? this.mode(records) : this.mode;
    if (mode === 'never') return never();
    if (mode !== 'ok') await sleep(mode.lateMs);
    return this.memory.put(records);
  }
}

function handlerWith(options: { erasures?: ErasureLog; fairShare?: 'never' } = {}) {
  const sink = new SlowSink();
  const clock = createPinnedClock();
  const counted: string[] = [];
  const handler = createIngestHandler({
    sink,
    clock,
    retry,
    limits: DEFAULT_LIMITS,
    logger: silent,
    ...(options.erasures ? { erasures: options.erasures } : {}),
    ...(options.fairShare ? { fairShare: { take: never } } : {}),
    deadline: { policy: POLICY, breakers: ingestBreakers(clock, BREAKER) },
    metrics: {
      count: (name: MetricName, n: number, reason?: string) =>
        counted.push(`${name}${reason ? `[${reason}]` : ''}=${n}`),
      flush: () => undefined,
    },
  });
  const invoke = async (body: unknown = createTrackMessage(), type?: string) => {
    const started = performance.now();
    const answer = await handler(
      createIngestEvent({ body: JSON.stringify(body), ...(type ? { type, path: `/v1/${type}` } : {}) }),
      lambdaContext,
    );
    return { answer, ms: performance.now() - started };
  };
  return { sink, counted, invoke };
}

describe('ingest: one deadline per request, a breaker per dependency', () => {
  it('a sink that never answers: 503 + Retry-After by the deadline, its put aborted, no ledger line', async () => {
    const { sink, counted, invoke } = handlerWith();
    sink.mode = 'never';
    const { answer, ms } = await invoke();

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('30');
    expect(ms).toBeLessThan(POLICY.totalMs + SLACK_MS);
    expect(sink.aborted).toBe(1);
    expect(sink.memory.lines('ledger')).toEqual([]);
    expect(counted).toContain('DependencyTimedOut[sink]=1');
  });

  it('events stored but the ledger put never answers: 503 (Segment resends; the curated table keeps one row per messageId)', async () => {
    const { sink, invoke } = handlerWith();
    sink.mode = (records) => (records.some((r) => r.area === 'ledger') ? 'never' : 'ok');
    const { answer, ms } = await invoke(createTrackMessage({ messageId: 'm-ledger-hangs' }));

    expect(answer.statusCode).toBe(503);
    expect(ms).toBeLessThan(POLICY.totalMs + SLACK_MS);
    expect(sink.memory.lines('events')).toHaveLength(1);
    expect(sink.memory.lines('ledger')).toEqual([]);
  });

  it('a put that answers after the deadline is not acknowledged, even though it stored its records', async () => {
    const { sink, invoke } = handlerWith();
    sink.mode = { lateMs: POLICY.totalMs * 2 };
    const { answer } = await invoke(createTrackMessage({ messageId: 'm-late' }));
    expect(answer.statusCode).toBe(503);
    await sleep(POLICY.totalMs * 2);
    // Stored after the request gave up: harmless, and never counted in the ledger.
    expect(sink.memory.lines('events').map((l) => l.message_id)).toEqual(['m-late']);
    expect(sink.memory.lines('ledger')).toEqual([]);
  });

  it('three timeouts open the sink breaker: the next request is answered 503 at once, without a put; then one probe closes it', async () => {
    const { sink, counted, invoke } = handlerWith();
    sink.mode = 'never';
    for (let i = 0; i < BREAKER.timeouts; i++) expect((await invoke()).answer.statusCode).toBe(503);
    const putsBefore = sink.puts;

    const open = await invoke();
    expect(open.answer.statusCode).toBe(503);
    expect(open.answer.headers['retry-after']).toBe('30');
    // Faster than a put could time out (the events' share), and no put was made.
    expect(open.ms).toBeLessThan(POLICY.totalMs - POLICY.ledgerReserveMs);
    expect(sink.puts).toBe(putsBefore);
    expect(counted).toContain('BreakerOpen[sink]=1');

    // After the open period the store is back: the probe's success closes the breaker.
    await sleep(BREAKER.openMs);
    sink.mode = 'ok';
    expect((await invoke()).answer.statusCode).toBe(200);
    expect((await invoke()).answer.statusCode).toBe(200);
  });

  it('an erased-user filter that never answers: the request goes on without it, within its share', async () => {
    const { sink, counted, invoke } = handlerWith({
      erasures: { record: async () => undefined, erasedFilter: never },
    });
    const { answer, ms } = await invoke(createTrackMessage({ messageId: 'm-no-filter' }));
    expect(answer.statusCode).toBe(200);
    expect(ms).toBeLessThan(POLICY.erasureFilterMs + SLACK_MS);
    expect(sink.memory.lines('events')).toHaveLength(1);
    expect(counted).toContain('DependencyTimedOut[erasures]=1');
  });

  it('a fair share that never answers admits the request (it fails open)', async () => {
    const { sink, counted, invoke } = handlerWith({ fairShare: 'never' });
    const { answer } = await invoke();
    expect(answer.statusCode).toBe(200);
    expect(sink.memory.lines('events')).toHaveLength(1);
    expect(counted).toEqual(
      expect.arrayContaining(['DependencyTimedOut[fair_share]=1', 'FairShareUnavailable=1']),
    );
  });

  it('a delete whose record never answers: 503 by the deadline, nothing of the batch stored', async () => {
    const { sink, invoke } = handlerWith({
      erasures: { record: never, erasedFilter: async () => undefined },
    });
    const { answer, ms } = await invoke({ userId: 'u1', messageId: 'd1' }, 'delete');
    expect(answer.statusCode).toBe(503);
    expect(ms).toBeLessThan(POLICY.totalMs + SLACK_MS);
    expect(sink.puts).toBe(0);
  });

  it('a healthy request is not slowed: 200 with its events and ledger line', async () => {
    const { sink, invoke } = handlerWith();
    const { answer } = await invoke({
      batch: [createTrackMessage({ messageId: 'a' }), createTrackMessage({ messageId: 'b' })],
    });
    expect(answer.statusCode).toBe(200);
    expect(json(answer)).toMatchObject({ accepted: 2 });
    expect(sink.memory.lines('ledger')).toHaveLength(1);
  });
});
