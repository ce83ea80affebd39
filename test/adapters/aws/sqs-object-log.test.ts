import { OverLimit, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsObjectLog } from '../../../adapters/aws/sqs-object-log';
import { ObjectLogFull } from '../../../domain/core/lake/compaction-run';
import { mockAws } from '../../support/aws-mocks';

// SQS answers a short-polling receive with OverLimit at ~120,000 messages in flight: the log says so as
// ObjectLogFull, which a run reads as "stage what you have" (domain/core/lake/compaction-run.ts).

describe('SqsObjectLog at the in-flight limit', () => {
  const sqs = mockAws(SQSClient);

  it('turns OverLimit into ObjectLogFull, and passes any other failure on', async () => {
    const log = new SqsObjectLog(new SQSClient({ region: 'us-east-1' }), 'https://sqs/q');
    const answers = [
      () => Promise.reject(new OverLimit({ message: 'in flight', $metadata: {} })),
      () => Promise.reject(new Error('network down')),
      () =>
        Promise.resolve({
          Messages: [
            { Body: JSON.stringify({ detail: { object: { key: 'events/k.gz' } } }), ReceiptHandle: 'r1' },
          ],
        }),
    ];
    sqs.on(ReceiveMessageCommand).callsFake(() => answers.shift()!());

    await expect(log.receive(10, 60)).rejects.toBeInstanceOf(ObjectLogFull);
    await expect(log.receive(10, 60)).rejects.toThrow('network down');
    expect(await log.receive(10, 60)).toEqual([{ key: 'events/k.gz', receipt: 'r1' }]);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({ WaitTimeSeconds: 0 });
  });
});
