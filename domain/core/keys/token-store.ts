import type { CustomerRecord, TokenRecord } from './tokens';

export type { CustomerRecord };

/** Where keys (hashed) and customer settings live: DynamoDB on AWS, a file locally, memory in tests. */
export interface TokenStore {
  /** `signal` (here, in getCustomer and in recordUse) aborts the read when the authorizer's deadline passes. */
  findByHash(tokenHash: string, signal?: AbortSignal): Promise<TokenRecord | undefined>;
  getCustomer(customerId: string, signal?: AbortSignal): Promise<CustomerRecord | undefined>;
  putToken(record: TokenRecord): Promise<void>;
  listTokens(customerId?: string): Promise<TokenRecord[]>;
  /** Marks a key revoked; resolves to the updated record, or undefined when there is no such key. */
  revokeToken(tokenId: string, at: Date): Promise<TokenRecord | undefined>;
  putCustomer(record: CustomerRecord): Promise<void>;
  /** Sets a key's `lastUsedAt` to `at` unless it is already later than `notBefore` (one cheap conditional write). */
  recordUse(tokenHash: string, at: Date, notBefore: Date, signal?: AbortSignal): Promise<void>;
}
