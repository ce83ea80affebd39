/**
 * The names nearest to a mistyped one, by case-insensitive edit distance: the stack's settings check,
 * the commands' flag check and the admin core's customer check all suggest with it. Pure, here so that
 * lib/ (which imports only the contract) can use it too.
 *
 * @example closest('authorizerCacheTTLSeconds', ['authorizerCacheTtlSeconds', 'delivery']) // 'authorizerCacheTtlSeconds'
 */
export function closest(name: string, candidates: readonly string[]): string {
  return nearest(name, candidates, Number.POSITIVE_INFINITY, 1)[0] ?? '';
}

/** Up to `count` candidates within `maxDistance` edits of `name`, nearest first. */
export function nearest(
  name: string,
  candidates: readonly string[],
  maxDistance: number,
  count: number,
): string[] {
  return candidates
    .map((candidate) => ({ candidate, d: editDistance(name.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ d }) => d <= maxDistance)
    .sort((a, b) => a.d - b.d)
    .slice(0, count)
    .map(({ candidate }) => candidate);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}
