import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as v from 'valibot';
import { type ErasureEntry, ErasureEntrySchema, type ErasureRequest } from '../../domain/contract/erasure';
import type { ErasedFilter, ErasureLog } from '../../domain/core/erasure/erasure-log';
import { erasedFilterOf, userHash } from '../../domain/core/erasure/user-hash';
import { writeFileAtomic } from './atomic-file';

/** Where the local destination keeps its erasure requests, audit and key, under DATA_DIR. */
export function erasureDir(dataDir: string): string {
  return join(dataDir, 'erasure');
}

/**
 * Delete requests and their audit in `<DATA_DIR>/erasure/requests.jsonl`, one entry a line; the audit
 * key (32 random bytes, created once, mode 0600) in `audit.key` beside it. `record` appends and syncs
 * before it resolves, so a 200 to a delete means the request survives `kill -9`; executed entries are
 * rewritten whole (atomically) without the user id. One process owns a DATA_DIR (local/data-dir-lock.ts),
 * so this file has one writer.
 */
export class FileErasureLog implements ErasureLog {
  readonly path: string;
  private readonly keyPath: string;
  private entries: ErasureEntry[] | undefined;
  private key: Buffer | undefined;
  /** The file ends without a newline (a crash cut an append short): the next append starts a line. */
  private tornTail = false;

  constructor(dataDir: string) {
    this.path = join(erasureDir(dataDir), 'requests.jsonl');
    this.keyPath = join(erasureDir(dataDir), 'audit.key');
  }

  /** The audit key, created at first use. */
  auditKey(): Buffer {
    if (this.key) return this.key;
    if (existsSync(this.keyPath)) {
      const key = readFileSync(this.keyPath);
      if (key.length !== 32)
        throw new Error(`${this.keyPath} is damaged: expected 32 bytes, found ${key.length}`);
      this.key = key;
      return key;
    }
    mkdirSync(dirname(this.keyPath), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    writeFileAtomic(this.keyPath, key);
    this.key = key;
    return key;
  }

  hash(customerId: string, id: string): string {
    return userHash(this.auditKey(), customerId, id);
  }

  /** Every entry, in the order recorded. A damaged line stops here, naming the file and the line. */
  all(): ErasureEntry[] {
    if (this.entries) return this.entries;
    const entries: ErasureEntry[] = [];
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8');
      this.tornTail = text.length > 0 && !text.endsWith('\n');
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          // A line cut short by a crash while appending was never acknowledged: the sender resends it.
          if (i === lines.length - 1) return;
          throw new Error(`${this.path}:${i + 1} is not JSON; mend or remove that line`);
        }
        const result = v.safeParse(ErasureEntrySchema, parsed);
        if (!result.success)
          throw new Error(
            `${this.path}:${i + 1}: ${v.getDotPath(result.issues[0]) ?? 'entry'}: ${result.issues[0].message}`,
          );
        entries.push(result.output);
      });
    }
    this.entries = entries;
    return entries;
  }

  async record(requests: readonly Omit<ErasureRequest, 'user_hash'>[]): Promise<void> {
    const entries = this.all();
    const known = new Set(entries.map((e) => `${e.customer_id}\u0000${e.message_id}`));
    const fresh: ErasureEntry[] = [];
    for (const request of requests) {
      const id = `${request.customer_id}\u0000${request.message_id}`;
      if (known.has(id)) continue;
      known.add(id);
      fresh.push({
        version: 1,
        status: 'pending',
        ...request,
        user_hash: this.hash(request.customer_id, request.user_id),
      });
    }
    if (fresh.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const text = Buffer.from(
      (this.tornTail ? '\n' : '') + fresh.map((e) => `${JSON.stringify(e)}\n`).join(''),
    );
    const fd = openSync(this.path, 'a', 0o600);
    try {
      for (let done = 0; done < text.length; ) {
        const n = writeSync(fd, text, done, text.length - done);
        if (n <= 0)
          throw Object.assign(new Error(`ENOSPC: no bytes written to ${this.path}`), { code: 'ENOSPC' });
        done += n;
      }
      fsyncSync(fd);
      this.tornTail = false;
    } finally {
      closeSync(fd);
    }
    entries.push(...fresh);
  }

  async erasedFilter(customerId: string): Promise<ErasedFilter | undefined> {
    const mine = this.all().filter((e) => e.customer_id === customerId);
    return mine.length === 0 ? undefined : erasedFilterOf(mine, (id) => this.hash(customerId, id));
  }

  /** One customer's requests, in the order recorded. */
  async list(customerId: string): Promise<ErasureEntry[]> {
    return this.all().filter((e) => e.customer_id === customerId);
  }

  /** Replaces entries (matched by customer and messageId) and rewrites the file whole. */
  replace(updated: readonly ErasureEntry[]): void {
    const byId = new Map(updated.map((e) => [`${e.customer_id}\u0000${e.message_id}`, e]));
    const entries = this.all().map((e) => byId.get(`${e.customer_id}\u0000${e.message_id}`) ?? e);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.path, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    this.entries = entries;
  }
}
