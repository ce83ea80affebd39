import type { CustomerRecord, TokenStore } from '../../../domain/core/keys/token-store';
import type { TokenRecord } from '../../../domain/core/keys/tokens';

/** Keys and customers in memory: for tests and for composing handlers without any storage. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly customers = new Map<string, CustomerRecord>();

  async findByHash(tokenHash: string) {
    return [...this.tokens.values()].find((t) => t.tokenHash === tokenHash);
  }
  async getCustomer(customerId: string) {
    return this.customers.get(customerId);
  }
  async putToken(record: TokenRecord) {
    this.tokens.set(record.tokenId, { ...record });
  }
  async listTokens(customerId?: string) {
    return [...this.tokens.values()].filter((t) => customerId === undefined || t.customerId === customerId);
  }
  async revokeToken(tokenId: string, at: Date) {
    const token = this.tokens.get(tokenId);
    if (!token) return undefined;
    // Revoking twice keeps the first revokedAt, as the file and DynamoDB stores do.
    if (token.status === 'revoked') return token;
    const revoked: TokenRecord = { ...token, status: 'revoked', revokedAt: at.toISOString() };
    this.tokens.set(tokenId, revoked);
    return revoked;
  }
  async putCustomer(record: CustomerRecord) {
    this.customers.set(record.customerId, { ...record });
  }
  async recordUse(tokenHash: string, at: Date, notBefore: Date) {
    const token = [...this.tokens.values()].find((t) => t.tokenHash === tokenHash);
    if (token && !(token.lastUsedAt && Date.parse(token.lastUsedAt) >= notBefore.getTime()))
      token.lastUsedAt = at.toISOString();
  }
}
