/**
 * Guards against pathologically nested JSON. `JSON.parse` takes any depth, but `JSON.stringify` (and
 * so storing the message) overflows the stack at a few thousand levels, and Athena's JSON reader has
 * limits of its own. No Segment message comes near this.
 */
export const MAX_MESSAGE_DEPTH = 256;

/**
 * Whether a value nests deeper than `maxDepth` objects/arrays. Iterative, so any depth is safe, and it
 * stops at the first branch that is too deep.
 *
 * @example exceedsDepth({ a: { b: 1 } }, 1) // true
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(current))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** JSON of a value with everything below `maxDepth` replaced by `"…"`: a safe excerpt of a too-deep message. */
export function boundedJson(value: unknown, maxDepth: number, maxChars: number): string {
  const out: string[] = [];
  let length = 0;
  const push = (text: string) => {
    out.push(text);
    length += text.length;
  };
  const walk = (current: unknown, depth: number): void => {
    if (length > maxChars) return;
    if (current === null || typeof current !== 'object') {
      push(JSON.stringify(current) ?? 'null');
      return;
    }
    if (depth >= maxDepth) {
      push('"…"');
      return;
    }
    const entries = Array.isArray(current) ? current.map((v) => [null, v] as const) : Object.entries(current);
    push(Array.isArray(current) ? '[' : '{');
    entries.forEach(([key, child], i) => {
      if (i > 0) push(',');
      if (key !== null) push(`${JSON.stringify(key)}:`);
      walk(child, depth + 1);
    });
    push(Array.isArray(current) ? ']' : '}');
  };
  walk(value, 0);
  return out.join('').slice(0, maxChars);
}
