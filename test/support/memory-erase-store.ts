import type { EraseStore } from '../../domain/core/erasure/erase-store';

/**
 * A versioned bucket in memory with S3's rules for what the erase relies on: a put adds a version, a
 * delete adds a delete marker (the old bytes stay as versions until deleted by id), listing shows only
 * current objects. Athena results are CSV texts by query id.
 */
export class MemoryEraseStore implements EraseStore {
  readonly versions = new Map<string, (Buffer | null)[]>();
  readonly results = new Map<string, string>();
  private clock = 0;
  readonly modified = new Map<string, number>();

  async list(prefix: string) {
    return [...this.versions]
      .filter(([key, v]) => key.startsWith(prefix) && v.at(-1) !== null && v.at(-1) !== undefined)
      .map(([key]) => ({ key, modifiedMs: this.modified.get(key) ?? 0 }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async get(key: string) {
    return this.versions.get(key)?.at(-1) ?? undefined;
  }

  async put(key: string, body: Buffer | string, modifiedMs?: number) {
    this.versions.set(key, [...(this.versions.get(key) ?? []), Buffer.from(body)]);
    this.modified.set(key, modifiedMs ?? ++this.clock);
  }

  async remove(keys: readonly string[]) {
    for (const key of keys) if (this.versions.has(key)) this.versions.get(key)!.push(null);
  }

  async removeOldVersions(key: string) {
    const all = this.versions.get(key) ?? [];
    const removed = Math.max(all.length - 1, 0);
    if (all.length > 0) this.versions.set(key, [all.at(-1)!]);
    return removed;
  }

  async removeNoncurrent(prefix: string, maxPages: number) {
    // A "page" here is one key's versions: enough to exercise the caller's loop.
    let removed = 0;
    let pages = 0;
    for (const [key, all] of this.versions) {
      if (!key.startsWith(prefix) || all.length === 1) continue;
      if (pages === maxPages) return { removed, more: true };
      pages += 1;
      removed += all.length - 1;
      this.versions.set(key, [all.at(-1)!]);
    }
    return { removed, more: false };
  }

  async queryResult(id: string) {
    const text = this.results.get(id);
    if (text === undefined) throw new Error(`no result for query ${id}`);
    return text;
  }

  async removeQueryResult(id: string) {
    this.results.delete(id);
  }

  /** Every byte the bucket holds, old versions included, as text (gzip opened). */
  allText(): string {
    const { gunzipSync } = require('node:zlib') as typeof import('node:zlib');
    return [...this.versions.values()]
      .flat()
      .filter((b): b is Buffer => b !== null)
      .map((b) => (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b).toString('utf8') : b.toString('latin1')))
      .join('\n');
  }
}
