import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { KinesisSink } from '../../../adapters/aws/kinesis-sink';
import { silentLogger } from '../../../adapters/system/json-logger';
import { DEFAULT_RETRY_POLICY } from '../../../domain/core/ingest/deliver';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import { mockAws } from '../../support/aws-mocks';
import {
  createFakeClock,
  createIngestEvent,
  createTrackMessage,
  lambdaContext,
} from '../../support/factories';

/** A Kinesis that throttles every record while `throttling` is on, and keeps what it accepted. */
function throttlingKinesis() {
  const kinesis = mockAws(KinesisClient);
  const state = { throttling: true, stored: [] as string[] };
  kinesis.on(PutRecordsCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
    if (state.throttling)
      return {
        FailedRecordCount: input.Records.length,
        Records: input.Records.map(() => ({
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: 'Rate exceeded',
        })),
      };
    for (const r of input.Records) state.stored.push(Buffer.from(r.Data).toString());
    return {
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    };
  });
  return { state };
}

describe('ingest handler: a throttling store is answered fast', () => {
  it('answers 503 with Retry-After within about a second (not the 8 s budget), and stores all once the sender resends', async () => {
    const { state } = throttlingKinesis();
    const clock = createFakeClock();
    const metrics: string[] = [];
    const handler = createIngestHandler({
      sink: new KinesisSink(new KinesisClient({}), 'events'),
      clock,
      retry: DEFAULT_RETRY_POLICY,
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
      metrics: { count: (name) => metrics.push(name), flush: () => undefined },
    });
    const batch = [createTrackMessage({ messageId: 'r-1' }), createTrackMessage({ messageId: 'r-2' })];
    const event = createIngestEvent({ body: JSON.stringify({ batch }) });

    const started = clock.now();
    const throttled = await handler(event, lambdaContext);
    const spent = clock.now() - started;
    state.throttling = false; // capacity arrives; Segment resends the same request
    const resent = await handler(event, lambdaContext);

    expect(throttled.statusCode).toBe(503);
    expect(throttled.headers['retry-after']).toBe(String(DEFAULT_RETRY_POLICY.retryAfterSeconds));
    expect(spent).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.throttleBudgetMs);
    expect(DEFAULT_RETRY_POLICY.throttleBudgetMs).toBeLessThan(DEFAULT_RETRY_POLICY.budgetMs);
    expect(metrics).toContain('SinkThrottled');
    expect(resent.statusCode).toBe(200);
    const events = state.stored.flatMap((data) =>
      data
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
    expect(
      events
        .filter((e) => e.message_id)
        .map((e) => e.message_id)
        .sort(),
    ).toEqual(['r-1', 'r-2']);
  });

  it('still rides out a passing fault that is not throttling, within the full budget', async () => {
    const kinesis = mockAws(KinesisClient);
    let calls = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => {
      calls += 1;
      return calls <= 5
        ? {
            FailedRecordCount: input.Records.length,
            Records: input.Records.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'x' })),
          }
        : { FailedRecordCount: 0, Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })) };
    });
    const clock = createFakeClock(undefined, () => 0.99);
    const handler = createIngestHandler({
      sink: new KinesisSink(new KinesisClient({}), 'events'),
      clock,
      retry: DEFAULT_RETRY_POLICY,
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
    });

    const answer = await handler(
      createIngestEvent({ body: JSON.stringify(createTrackMessage()) }),
      lambdaContext,
    );

    expect(answer.statusCode).toBe(200);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThan(DEFAULT_RETRY_POLICY.throttleBudgetMs);
  });
});
