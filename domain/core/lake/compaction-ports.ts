/**
 * The log holds as many messages in flight (received, not yet deleted) as it allows: SQS answers a
 * receive with `OverLimit` at about 120,000 for a standard queue
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html). The
 * adapter says so with this error, and a run stops receiving and stages what it has.
 */
export class ObjectLogFull extends Error {
  override readonly name = 'ObjectLogFull';
}

/** The object log: one message per landing object S3 created (S3 → EventBridge → SQS on AWS). */
export interface ObjectLog {
  /** Up to `max` messages, hidden from other readers for `hideSeconds`; ObjectLogFull at its in-flight limit. */
  receive(max: number, hideSeconds: number): Promise<{ key: string | undefined; receipt: string }[]>;
  remove(receipts: readonly string[]): Promise<void>;
}

/** The run's own files in the lake (its manifests, receipts and items) and Athena's results. */
export interface RunFiles {
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string>;
  removePrefix(prefix: string): Promise<void>;
  /** A query result (CSV) by its execution id. */
  queryResult(queryExecutionId: string): Promise<string>;
}
