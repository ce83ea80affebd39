import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { FAIR_SHARE_EXPIRY_ATTRIBUTE, FAIR_SHARE_KEY_ATTRIBUTE } from '../../domain/contract/token-table';
import type { FairShareCounter } from '../../domain/core/ingest/fair-share';

/**
 * How long a lease may take before the request goes on without it (fail open). A DynamoDB write in the
 * same region answers in single-digit milliseconds; 50 ms is an outage, not a slow answer.
 *
 * @internal
 */
export const LEASE_TIMEOUT_MS = 50;
/** Counts are kept a minute past their second, then DynamoDB's TTL deletes them. */
const KEEP_SECONDS = 60;

/**
 * The fair share's shared count in DynamoDB: one item per customer and second, `ADD n :amount` on
 * condition that the count stays within the limit — one conditional write per lease, atomic across every
 * ingest instance. A refused condition answers false; anything else (throttling, a timeout) throws, and
 * the gate admits the request.
 */
export class DynamoFairShareCounter implements FairShareCounter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly timeoutMs = LEASE_TIMEOUT_MS,
  ) {}

  async lease(
    customerId: string,
    window: number,
    amount: number,
    limit: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [FAIR_SHARE_KEY_ATTRIBUTE]: { S: `${customerId}#${window}` } },
          UpdateExpression: `ADD n :amount SET ${FAIR_SHARE_EXPIRY_ATTRIBUTE} = if_not_exists(${FAIR_SHARE_EXPIRY_ATTRIBUTE}, :expires)`,
          ConditionExpression: 'attribute_not_exists(n) OR n <= :room',
          ExpressionAttributeValues: {
            ':amount': { N: String(amount) },
            ':room': { N: String(limit - amount) },
            ':expires': { N: String(window + KEEP_SECONDS) },
          },
        }),
        { abortSignal: signal ? AbortSignal.any([timeout, signal]) : timeout },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
