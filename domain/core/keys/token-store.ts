import * as v from 'valibot';
import { TrackingPlanSchema } from '../../contract/tracking-plan';
import { CUSTOMER_ID_PATTERN, type TokenRecord } from './tokens';

/** A customer's settings: whether it may send, and its own event-name aliases. */
export const CustomerRecordSchema = v.object({
  customerId: v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'must be a valid customer id')),
  status: v.picklist(['enabled', 'disabled']),
  // Customers stored before aliases existed have none.
  eventAliases: v.optional(v.record(v.string(), v.string()), {}),
  /** The customer's tracking plan, if it has one (docs/data-quality.md). */
  trackingPlan: v.optional(TrackingPlanSchema),
  updatedAt: v.pipe(v.string(), v.isoTimestamp('must be an ISO-8601 time')),
});
export type CustomerRecord = v.InferOutput<typeof CustomerRecordSchema>;

/** Where keys (hashed) and customer settings live: DynamoDB on AWS, a file locally, memory in tests. */
export interface TokenStore {
  findByHash(tokenHash: string): Promise<TokenRecord | undefined>;
  getCustomer(customerId: string): Promise<CustomerRecord | undefined>;
  putToken(record: TokenRecord): Promise<void>;
  listTokens(customerId?: string): Promise<TokenRecord[]>;
  /** Marks a key revoked; resolves to the updated record, or undefined when there is no such key. */
  revokeToken(tokenId: string, at: Date): Promise<TokenRecord | undefined>;
  putCustomer(record: CustomerRecord): Promise<void>;
  /** Sets a key's `lastUsedAt` to `at` unless it is already later than `notBefore` (one cheap conditional write). */
  recordUse(tokenHash: string, at: Date, notBefore: Date): Promise<void>;
}
