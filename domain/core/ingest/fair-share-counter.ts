/**
 * The count every ingest instance shares: events admitted per customer and one-second window. `lease`
 * adds `amount` unless the window's count would pass `limit`, atomically; it may throw or time out
 * (the gate then fails open). DynamoDB on AWS (adapters/aws/dynamo-fair-share-counter.ts), memory in tests.
 */
export interface FairShareCounter {
  /** `signal` aborts the lease when the request's deadline (or its share of it) passes. */
  lease(
    customerId: string,
    window: number,
    amount: number,
    limit: number,
    signal?: AbortSignal,
  ): Promise<boolean>;
}
