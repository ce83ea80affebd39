/** What an erase pass does to the lake bucket and Athena's results: the port its steps use. */
export interface EraseStore {
  /** Keys under a prefix, with their last-modified time (epoch ms). */
  list(prefix: string): Promise<{ key: string; modifiedMs: number }[]>;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, body: Buffer | string): Promise<void>;
  remove(keys: readonly string[]): Promise<void>;
  /** Deletes every version of a key but the current one (a rewrite leaves the old bytes as one). */
  removeOldVersions(key: string): Promise<number>;
  /**
   * Deletes every noncurrent version and delete marker under a prefix (what a VACUUM leaves of the
   * files it removed), reading at most `maxPages` listings of 1,000 versions; `more` when it stopped
   * before the end (the caller calls again).
   */
  removeNoncurrent(prefix: string, maxPages: number): Promise<{ removed: number; more: boolean }>;
  /** A finished Athena query's result (CSV text). */
  queryResult(queryExecutionId: string): Promise<string>;
  /** Removes a query's result files: a result that lists ids is not kept. */
  removeQueryResult(queryExecutionId: string): Promise<void>;
}
