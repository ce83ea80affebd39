import { readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as v from 'valibot';
import type { Logger } from '../../domain/core/common/ports';
import type { CustomerRecord, TokenStore } from '../../domain/core/keys/token-store';
import { CustomerRecordSchema, type TokenRecord, TokenRecordSchema } from '../../domain/core/keys/tokens';
import { compilePlan } from '../../domain/core/quality/tracking-plan';
import { silentLogger } from '../system/json-logger';
import { writeFileAtomic } from './atomic-file';
import { acquirePidLock } from './pid-lock';

const TokenFileSchema = v.object({
  tokens: v.array(TokenRecordSchema),
  customers: v.array(CustomerRecordSchema),
});
type TokenFile = v.InferOutput<typeof TokenFileSchema>;

/** The token file cannot be read as keys: named, with what is wrong, so an operator can mend it. */
class TokenFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path} is damaged: ${problem}. Restore it from a backup or mend it; no key was changed.`);
    this.name = 'TokenFileError';
  }
}

export interface FileTokenStoreOptions {
  /** How often the running server checks the file for changes (ms). */
  recheckMs?: number;
  /** Where damage found while running is reported. */
  logger?: Logger;
  /** How long `lastUsedAt` updates wait to be written together, off the request path (ms). */
  usageFlushMs?: number;
}

// How long a writer waits for another writer's lock (the CLI and the server's usage flush write for a
// few milliseconds each): long enough for any of them, short enough to report a stuck lock.
const LOCK_WAIT_MS = 5_000;

/**
 * Keys (hashed) and customers in `<dataDir>/tokens.json`, for the local destination and the tokens
 * command. The running server re-reads the file when it changes (checked at most every `recheckMs`),
 * so a key created from another process works at once and a revoked one is refused within a second.
 *
 * The file is parsed with the records' schemas. A missing file means no keys yet; an empty or damaged
 * one is an error (`load` throws it at start, naming the file), never "no keys" — that would answer
 * 401, which Segment does not retry; so is a tracking plan that does not compile, and a file deleted
 * after keys were loaded from it. While running, damage keeps the last good copy and is logged.
 * `lastUsedAt` is written in batches off the request path, never while a request waits.
 */
export class FileTokenStore implements TokenStore {
  readonly path: string;
  private readonly recheckMs: number;
  private readonly logger: Logger;
  private readonly usageFlushMs: number;
  private cache: { version: string; data: TokenFile; byHash: Map<string, TokenRecord> } | undefined;
  private checkedAt = 0;
  private reportedDamage: string | undefined;
  private readonly pendingUse = new Map<string, { at: Date; notBefore: Date }>();
  private usageTimer: NodeJS.Timeout | undefined;

  constructor(dataDir: string, options: FileTokenStoreOptions | number = {}) {
    const o = typeof options === 'number' ? { recheckMs: options } : options;
    this.path = join(dataDir, 'tokens.json');
    this.recheckMs = o.recheckMs ?? 1_000;
    this.logger = o.logger ?? silentLogger;
    this.usageFlushMs = o.usageFlushMs ?? 2_000;
  }

  /**
   * Which content of the file is being served (changes when the file does, as seen by the re-check at
   * most every `recheckMs`): a verdict made from one version holds until the version changes.
   */
  version(): string {
    return this.read().version;
  }

  /** Reads the file now; throws TokenFileError when it is damaged. The server calls it before it listens. */
  load(): void {
    this.read(true, true);
  }

  async findByHash(tokenHash: string) {
    // A miss checks the file again at once (one stat), so a key made a moment ago works right away.
    return this.read().byHash.get(tokenHash) ?? this.read(true).byHash.get(tokenHash);
  }
  async getCustomer(customerId: string) {
    return this.read().data.customers.find((c) => c.customerId === customerId);
  }
  async listTokens(customerId?: string) {
    return this.read(true, true).data.tokens.filter(
      (t) => customerId === undefined || t.customerId === customerId,
    );
  }
  async putToken(record: TokenRecord) {
    await this.update((data) => {
      data.tokens = data.tokens.filter((t) => t.tokenId !== record.tokenId).concat(record);
    });
  }
  async revokeToken(tokenId: string, at: Date) {
    let revoked: TokenRecord | undefined;
    await this.update((data) => {
      data.tokens = data.tokens.map((t) => {
        if (t.tokenId !== tokenId) return t;
        revoked = t.status === 'revoked' ? t : { ...t, status: 'revoked', revokedAt: at.toISOString() };
        return revoked;
      });
    });
    return revoked;
  }
  async putCustomer(record: CustomerRecord) {
    await this.update((data) => {
      data.customers = data.customers.filter((c) => c.customerId !== record.customerId).concat(record);
    });
  }
  /** Queued, and written with the others within `usageFlushMs`: the request never waits for the file. */
  async recordUse(tokenHash: string, at: Date, notBefore: Date) {
    this.pendingUse.set(tokenHash, { at, notBefore });
    if (this.usageTimer) return;
    this.usageTimer = setTimeout(() => {
      this.usageTimer = undefined;
      this.flushUsage().catch((error: Error) =>
        this.logger.warn('lastUsedAt not written; tried again at the next use', { detail: error.message }),
      );
    }, this.usageFlushMs);
    this.usageTimer.unref();
  }

  /** Writes the queued `lastUsedAt` updates now (the server calls it when it stops). */
  async flushUsage(): Promise<void> {
    if (this.usageTimer) clearTimeout(this.usageTimer);
    this.usageTimer = undefined;
    if (this.pendingUse.size === 0) return;
    const uses = new Map(this.pendingUse);
    this.pendingUse.clear();
    await this.update((data) => {
      for (const token of data.tokens) {
        const use = uses.get(token.tokenHash);
        if (use && !(token.lastUsedAt && Date.parse(token.lastUsedAt) >= use.notBefore.getTime()))
          token.lastUsedAt = use.at.toISOString();
      }
    });
  }

  /**
   * The file's content, parsed; cached and re-checked by one stat at most every `recheckMs`.
   * `strict` throws on damage; otherwise damage keeps the last good copy and is logged once.
   */
  private read(fresh = false, strict = false) {
    const now = Date.now();
    if (this.cache && !fresh && now - this.checkedAt < this.recheckMs) return this.cache;
    this.checkedAt = now;
    let version: string;
    try {
      const stat = statSync(this.path);
      // Writers replace the file by rename, so a new inode means new content even within one mtime tick.
      version = `${stat.mtimeMs}/${stat.size}/${stat.ino}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      version = 'missing';
    }
    if (this.cache?.version === version) return this.cache;
    let data: TokenFile;
    try {
      // No file at all means no keys yet — unless keys were loaded from it: then it was deleted under
      // the running server, and answering 401 to every key (which Segment does not retry) would drop
      // every customer's data. That is damage, like an emptied file.
      if (version === 'missing' && this.cache && this.cache.version !== 'missing')
        throw new TokenFileError(this.path, 'the file was deleted while the server had keys from it');
      data = version === 'missing' ? { tokens: [], customers: [] } : this.parse();
    } catch (error) {
      if (strict || !(error instanceof TokenFileError)) throw error;
      if (this.reportedDamage !== version)
        this.logger.error('token file damaged; serving the last good copy until it is mended', {
          file: this.path,
          detail: error.message,
        });
      this.reportedDamage = version;
      if (this.cache) return this.cache;
      throw error;
    }
    this.cache = { version, data, byHash: new Map(data.tokens.map((t) => [t.tokenHash, t])) };
    return this.cache;
  }

  private parse(): TokenFile {
    const text = readFileSync(this.path, 'utf8');
    if (text.trim() === '') throw new TokenFileError(this.path, 'the file is empty');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new TokenFileError(this.path, `not JSON (${(error as Error).message})`);
    }
    const result = v.safeParse(TokenFileSchema, json);
    if (!result.success) {
      const issue = result.issues[0];
      throw new TokenFileError(this.path, `${v.getDotPath(issue) ?? 'the file'}: ${issue.message}`);
    }
    // A plan edited into the file by hand is compiled here, where it is refused with its customer (at
    // start, or kept out while running), never at a request, where it would answer 500.
    for (const customer of result.output.customers) {
      if (!customer.trackingPlan) continue;
      try {
        compilePlan(customer.trackingPlan);
      } catch (error) {
        throw new TokenFileError(
          this.path,
          `customer "${customer.customerId}" has a tracking plan that does not compile (${(error as Error).message})`,
        );
      }
    }
    return result.output;
  }

  /**
   * Read-modify-write under a lock file, so the server's bookkeeping and the CLI never undo each other.
   * A damaged file is never overwritten: the update fails with the damage named.
   */
  private async update(change: (data: TokenFile) => void) {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const lock = await acquirePidLock(`${this.path}.lock`, 'tokens.json writer', { waitMs: LOCK_WAIT_MS });
    try {
      const data = structuredClone(this.read(true, true).data);
      change(data);
      writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
    } finally {
      await lock.release();
    }
    this.cache = undefined;
  }
}
