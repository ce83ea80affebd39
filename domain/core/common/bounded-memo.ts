/**
 * Remembers up to `maxEntries` answers of a pure function. When full it starts afresh, which costs one
 * recomputation per key and keeps the hot path one Map lookup: the working sets memoized here (event
 * names, dates, field names, alias tables) are small and repeat endlessly, so an LRU's bookkeeping
 * would cost more than it saves. The bound only keeps a long-lived process from growing.
 *
 * @example const day = boundedMemo(100_000, (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10));
 */
export function boundedMemo<K, V>(maxEntries: number, compute: (key: K) => V): (key: K) => V {
  const memo = new Map<K, V>();
  return (key) => {
    const known = memo.get(key);
    if (known !== undefined || memo.has(key)) return known as V;
    const value = compute(key);
    if (memo.size >= maxEntries) memo.clear();
    memo.set(key, value);
    return value;
  };
}
