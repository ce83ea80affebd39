import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CustomerRecord, TokenStore } from '../../core/token-store';
import type { TokenRecord } from '../../core/tokens';
import { withLockFile, writeFileAtomic } from './atomic-file';

interface TokenFile {
  tokens: TokenRecord[];
  customers: CustomerRecord[];
}

/**
 * Keys (hashed) and customers in `<dataDir>/tokens.json`, for the local destination and the tokens
 * command. The running server re-reads the file when it changes (checked at most every `recheckMs`),
 * so a key created from another process works at once and a revoked one is refused within a second.
 */
export class FileTokenStore implements TokenStore {
  readonly path: string;
  private cache:
    | { mtimeMs: number; size: number; ino: number; data: TokenFile; byHash: Map<string, TokenRecord> }
    | undefined;
  private checkedAt = 0;

  constructor(
    dataDir: string,
    private readonly recheckMs = 1_000,
  ) {
    this.path = join(dataDir, 'tokens.json');
  }

  async findByHash(tokenHash: string) {
    // A miss checks the file again at once (one stat), so a key made a moment ago works right away.
    return this.read().byHash.get(tokenHash) ?? this.read(true).byHash.get(tokenHash);
  }
  async getCustomer(customerId: string) {
    return this.read().data.customers.find((c) => c.customerId === customerId);
  }
  async listTokens(customerId?: string) {
    return this.read(true).data.tokens.filter((t) => customerId === undefined || t.customerId === customerId);
  }
  async putToken(record: TokenRecord) {
    this.update((data) => {
      data.tokens = data.tokens.filter((t) => t.tokenId !== record.tokenId).concat(record);
    });
  }
  async revokeToken(tokenId: string, at: Date) {
    let revoked: TokenRecord | undefined;
    this.update((data) => {
      data.tokens = data.tokens.map((t) => {
        if (t.tokenId !== tokenId) return t;
        revoked = t.status === 'revoked' ? t : { ...t, status: 'revoked', revokedAt: at.toISOString() };
        return revoked;
      });
    });
    return revoked;
  }
  async putCustomer(record: CustomerRecord) {
    this.update((data) => {
      data.customers = data.customers.filter((c) => c.customerId !== record.customerId).concat(record);
    });
  }
  async recordUse(tokenHash: string, at: Date, notBefore: Date) {
    this.update((data) => {
      const token = data.tokens.find((t) => t.tokenHash === tokenHash);
      if (token && !(token.lastUsedAt && Date.parse(token.lastUsedAt) >= notBefore.getTime()))
        token.lastUsedAt = at.toISOString();
    });
  }

  private read(fresh = false) {
    const now = Date.now();
    if (this.cache && !fresh && now - this.checkedAt < this.recheckMs) return this.cache;
    this.checkedAt = now;
    let stat: { mtimeMs: number; size: number; ino: number };
    try {
      stat = statSync(this.path);
    } catch {
      stat = { mtimeMs: 0, size: 0, ino: 0 };
    }
    // Writers replace the file by rename, so a new inode means new content even within one mtime tick.
    const { cache } = this;
    if (cache && cache.mtimeMs === stat.mtimeMs && cache.size === stat.size && cache.ino === stat.ino)
      return cache;
    const data: TokenFile =
      stat.size === 0
        ? { tokens: [], customers: [] }
        : (JSON.parse(readFileSync(this.path, 'utf8')) as TokenFile);
    this.cache = {
      mtimeMs: stat.mtimeMs,
      size: stat.size,
      ino: stat.ino,
      data,
      byHash: new Map(data.tokens.map((t) => [t.tokenHash, t])),
    };
    return this.cache;
  }

  /** Read-modify-write under a lock file, so the server's bookkeeping and the CLI never undo each other. */
  private update(change: (data: TokenFile) => void) {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    withLockFile(`${this.path}.lock`, () => {
      const data = structuredClone(this.read(true).data);
      change(data);
      writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
    });
    this.cache = undefined;
  }
}
