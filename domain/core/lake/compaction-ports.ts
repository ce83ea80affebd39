/** The object log: one message per landing object S3 created (S3 → EventBridge → SQS on AWS). */
export interface ObjectLog {
  /**
   * Up to `max` messages, hidden from other readers for `hideSeconds`; throws ObjectLogFull
   * (compaction-run.ts) at the log's in-flight limit.
   */
  receive(max: number, hideSeconds: number): Promise<{ key: string | undefined; receipt: string }[]>;
  remove(receipts: readonly string[]): Promise<void>;
}

/** The run's own files in the lake (its manifests, receipts and items) and Athena's results. */
export interface RunFiles {
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string>;
  removePrefix(prefix: string): Promise<void>;
  /** The keys under a prefix (the backlog's batches, a run's notes). */
  list(prefix: string): Promise<string[]>;
  /** A query result (CSV) by its execution id. */
  queryResult(queryExecutionId: string): Promise<string>;
}
