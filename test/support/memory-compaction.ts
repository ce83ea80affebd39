import type { ObjectLog, RunFiles } from '../../domain/core/lake/compaction-run';

/**
 * A compaction run's ports in memory: the object log over `queue` (what it removed recorded), and the
 * run's files in a Map, with the plan query answering `rows` (CSV lines after the header). `get` of a
 * missing key throws, as S3's NoSuchKey does.
 */
export function memoryCompaction(
  queue: { key: string | undefined; receipt: string }[],
  rows: readonly string[],
): { log: ObjectLog; run: RunFiles; files: Map<string, string>; removed: string[] } {
  const removed: string[] = [];
  const log: ObjectLog = {
    receive: async (max) => queue.splice(0, max),
    remove: async (receipts) => {
      removed.push(...receipts);
    },
  };
  const files = new Map<string, string>();
  const run: RunFiles = {
    put: async (key, body) => {
      files.set(key, body);
    },
    get: async (key) => {
      const body = files.get(key);
      if (body === undefined) throw new Error(`NoSuchKey: ${key}`);
      return body;
    },
    removePrefix: async (prefix) => {
      for (const key of [...files.keys()]) if (key.startsWith(prefix)) files.delete(key);
    },
    list: async (prefix) => [...files.keys()].filter((key) => key.startsWith(prefix)).sort(),
    queryResult: async () =>
      `${['"customer_id","event_date","row_count","sent_at_dated"', ...rows].join('\n')}\n`,
  };
  return { log, run, files, removed };
}
