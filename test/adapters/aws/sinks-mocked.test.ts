import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { FirehoseSink } from '../../../adapters/aws/firehose-sink';
import { KinesisSink } from '../../../adapters/aws/kinesis-sink';
import { InternalError, SinkUnavailableError } from '../../../domain/core/common/errors';
import { deliver } from '../../../domain/core/ingest/deliver';
import { type LakeLine, packRecords } from '../../../domain/core/lake/pack-records';
import { mockAws } from '../../support/aws-mocks';
import { createFakeClock } from '../../support/factories';

const policy = {
  budgetMs: 1_000,
  baseDelayMs: 50,
  maxDelayMs: 200,
  retryAfterSeconds: 30,
  throttleBudgetMs: 1_000,
};
const lines = (n: number, size = 100): LakeLine[] =>
  Array.from({ length: n }, (_, i) => ({
    area: 'events',
    customerId: `c${i}`,
    dt: '2026-01-01',
    spreadKey: `m${i}`,
    json: JSON.stringify({ i, pad: 'x'.repeat(size) }),
  }));
const STREAM = 'events';

describe('KinesisSink with a mocked client', () => {
  const kinesis = mockAws(KinesisClient);
  beforeEach(() => kinesis.reset());

  it('retries only the records PutRecords refused, until all are acknowledged', async () => {
    const records = packRecords(lines(3), 1024 * 1024);
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 's' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
          { SequenceNumber: '3', ShardId: 's' },
        ],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '4', ShardId: 's' }] });

    await deliver(records, new KinesisSink(new KinesisClient({}), STREAM), policy, createFakeClock());

    const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.StreamName).toBe(STREAM);
    expect(calls[1]!.Records!.map((r) => Buffer.from(r.Data!).toString())).toEqual([
      records[1]!.data.toString(),
    ]);
    expect(calls[1]!.Records![0]!.PartitionKey).toBe(records[1]!.partitionKey);
  });

  it('keeps each call within 500 records and 5 MiB', async () => {
    const records = packRecords(lines(1_200, 10_000), 20_000);
    kinesis.on(PutRecordsCommand).callsFake((input) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    }));

    await deliver(records, new KinesisSink(new KinesisClient({}), STREAM), policy, createFakeClock());

    const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records!);
    expect(calls.reduce((n, c) => n + c.length, 0)).toBe(records.length);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(500);
      expect(
        call.reduce((n, r) => n + r.Data!.length + Buffer.byteLength(r.PartitionKey!), 0),
      ).toBeLessThanOrEqual(5 * 1024 * 1024);
    }
  });

  it('answers 503 after one put when the stream throttles the whole call: no retry while it is full', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    kinesis.on(PutRecordsCommand).rejects(throttled);

    const attempt = deliver(
      packRecords(lines(2), 1024 * 1024),
      new KinesisSink(new KinesisClient({}), STREAM),
      policy,
      createFakeClock(),
    );

    await expect(attempt).rejects.toThrow(SinkUnavailableError);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
  });

  it('answers 500 at once for a misconfiguration no retry fixes', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('no such stream'), { name: 'ResourceNotFoundException' }));

    await expect(
      deliver(
        packRecords(lines(1), 1024 * 1024),
        new KinesisSink(new KinesisClient({}), STREAM),
        policy,
        createFakeClock(),
      ),
    ).rejects.toThrow(InternalError);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
  });
});

describe('FirehoseSink with a mocked client', () => {
  const firehose = mockAws(FirehoseClient);
  beforeEach(() => firehose.reset());

  it('retries only the records PutRecordBatch refused, never resending acknowledged ones', async () => {
    const records = packRecords(lines(3), 1_000 * 1024);
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 2,
        RequestResponses: [
          { ErrorCode: 'ServiceUnavailableException' },
          { RecordId: 'b' },
          { ErrorCode: 'InternalFailure' },
        ],
      })
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [{ RecordId: 'a' }, { ErrorCode: 'ServiceUnavailableException' }],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'c' }] });

    const stats = await deliver(
      records,
      new FirehoseSink(new FirehoseClient({}), 'lake'),
      policy,
      createFakeClock(),
    );

    const sent = firehose
      .commandCalls(PutRecordBatchCommand)
      .map((c) => c.args[0].input.Records!.map((r) => Buffer.from(r.Data!).toString()));
    expect(sent).toEqual([
      [records[0]!.data, records[1]!.data, records[2]!.data].map(String),
      [records[0]!.data, records[2]!.data].map(String),
      [records[2]!.data].map(String),
    ]);
    expect(stats).toEqual({ attempts: 3, retriedRecords: 3 });
  });

  it('keeps each call within 500 records and 4 MiB', async () => {
    const records = packRecords(lines(900, 20_000), 30_000);
    firehose.on(PutRecordBatchCommand).callsFake((input) => ({
      FailedPutCount: 0,
      RequestResponses: input.Records.map(() => ({ RecordId: 'x' })),
    }));

    await deliver(records, new FirehoseSink(new FirehoseClient({}), 'lake'), policy, createFakeClock());

    for (const call of firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!)) {
      expect(call.length).toBeLessThanOrEqual(500);
      expect(call.reduce((n, r) => n + r.Data!.length, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
    }
  });

  it('answers 503, with no 2xx for lost data, when Firehose stays unavailable', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .resolves({ FailedPutCount: 1, RequestResponses: [{ ErrorCode: 'ServiceUnavailableException' }] });

    await expect(
      deliver(
        packRecords(lines(1), 1_000 * 1024),
        new FirehoseSink(new FirehoseClient({}), 'lake'),
        policy,
        createFakeClock(),
      ),
    ).rejects.toMatchObject({ status: 503 });
  });
});
