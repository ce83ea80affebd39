import {
  DeleteMessageBatchCommand,
  OverLimit,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type ObjectLog, ObjectLogFull } from '../../domain/core/lake/compaction-run';

/**
 * The object log on AWS: an SQS queue fed by an EventBridge rule with S3's "Object Created" events of the
 * lake's events/ prefix. A message's key is `detail.object.key` of the event.
 */
export class SqsObjectLog implements ObjectLog {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(max: number, hideSeconds: number) {
    let Messages: ReceiveMessageCommandOutput['Messages'];
    try {
      ({ Messages } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: max,
          VisibilityTimeout: hideSeconds,
          // Short polling: at the in-flight limit SQS answers OverLimit (long polling would answer nothing).
          WaitTimeSeconds: 0,
        }),
      ));
    } catch (error) {
      if (error instanceof OverLimit || (error as { name?: unknown }).name === 'OverLimit')
        throw new ObjectLogFull('the object log is at its in-flight limit');
      throw error;
    }
    return (Messages ?? []).map((m) => ({ key: keyOf(m.Body), receipt: m.ReceiptHandle! }));
  }

  async remove(receipts: readonly string[]) {
    if (receipts.length === 0) return;
    const { Failed } = await this.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: receipts.map((receipt, i) => ({ Id: String(i), ReceiptHandle: receipt })),
      }),
    );
    // A message not deleted comes back after its visibility timeout and is merged again: harmless (the
    // MERGE is idempotent), but worth failing the step for, so an alarm says the queue misbehaves.
    if (Failed && Failed.length > 0) throw new Error(`could not delete ${Failed.length} object-log messages`);
  }
}

function keyOf(body: string | undefined): string | undefined {
  try {
    const key = (JSON.parse(body ?? '') as { detail?: { object?: { key?: unknown } } }).detail?.object?.key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
