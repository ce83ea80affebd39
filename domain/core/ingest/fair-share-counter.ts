/**
 * The count every ingest instance shares: events admitted per customer and one-second window. `lease`
 * adds `amount` unless the window's count would pass `limit`, atomically; it may throw or time out
 * (the gate then fails open). DynamoDB on AWS (adapters/aws/dynamo-fair-share-counter.ts), memory in tests.
 */
export interface FairShareCounter {
  lease(customerId: string, window: number, amount: number, limit: number): Promise<boolean>;
}
