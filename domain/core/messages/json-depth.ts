import { sliceText } from '../common/unicode-text';

/**
 * Pathologically nested JSON: `JSON.parse` takes any depth, but `JSON.stringify` (and so storing the
 * message) overflows the stack at a few thousand levels. Such a message is quarantined with an excerpt
 * cut at this depth. No Segment message comes near it.
 */
export const MAX_MESSAGE_DEPTH = 256;

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
  return sliceText(out.join(''), maxChars);
}
