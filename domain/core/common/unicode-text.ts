/**
 * Text every reader accepts. JSON may carry a lone UTF-16 surrogate as an escape (`"\ud800"`);
 * `JSON.parse` takes it and `JSON.stringify` writes it back as an escape, but DuckDB, Athena and any
 * UTF-8 reader refuse the line ("no low surrogate in string"). So the lake never holds one: ingest
 * replaces each lone surrogate with U+FFFD (docs/segment-contract.md, "Text that is not Unicode"), and
 * every cut of a text for a record keeps a pair whole.
 */

/** `text` with each lone surrogate replaced by U+FFFD; the string itself when it has none. */
export function wellFormedText(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/**
 * The first `maxUnits` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair
 * (then the high half would be left alone).
 *
 * @example sliceText('a😀', 2) // 'a'
 */
export function sliceText(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  const last = text.charCodeAt(maxUnits - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? maxUnits - 1 : maxUnits);
}

/** A value made well-formed: the same value when nothing changed, and the paths of what was replaced. */
export interface WellFormedValue {
  value: unknown;
  /** Paths (`properties.name`, `context.traits[2]`) of strings and keys that held a lone surrogate. */
  replaced: string[];
}

/**
 * `value` (parsed JSON) with every lone surrogate in its strings and keys replaced by U+FFFD. It copies
 * only the objects and arrays on a path to a change, and looks `maxDepth` levels deep: deeper values are
 * left as they are (a message that deep is quarantined as too deep, with an excerpt cut above them).
 *
 * @example wellFormedValue({ name: 'a\ud800' }, 8) // { value: { name: 'a\ufffd' }, replaced: ['name'] }
 */
export function wellFormedValue(value: unknown, maxDepth: number): WellFormedValue {
  const replaced: string[] = [];
  return { value: walk(value, '', maxDepth, replaced), replaced };
}

// Lists at most this many paths: a message full of bad strings is flagged, not described in full.
const MAX_PATHS = 20;

function walk(value: unknown, path: string, depth: number, replaced: string[]): unknown {
  if (typeof value === 'string') {
    if (value.isWellFormed()) return value;
    note(replaced, path || '(value)');
    return value.toWellFormed();
  }
  if (value === null || typeof value !== 'object' || depth <= 0) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || (typeof item !== 'object' && typeof item !== 'string')) continue;
      const made = walk(item, `${path}[${i}]`, depth - 1, replaced);
      if (made !== item) {
        copy ??= value.slice();
        copy[i] = made;
      }
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let changed = false;
  const members: [string, unknown][] = [];
  for (const key in record) {
    const item = record[key];
    const goodKey = key.isWellFormed() ? key : key.toWellFormed();
    const at = path ? `${path}.${goodKey}` : goodKey;
    if (goodKey !== key) note(replaced, at);
    const made =
      item !== null && (typeof item === 'object' || typeof item === 'string')
        ? walk(item, at, depth - 1, replaced)
        : item;
    if (made !== item || goodKey !== key) changed = true;
    members.push([goodKey, made]);
  }
  // Object.fromEntries defines each member as its own (a `__proto__` key stays a key, as JSON.parse made it).
  return changed ? Object.fromEntries(members) : value;
}

function note(replaced: string[], path: string): void {
  if (replaced.length < MAX_PATHS) replaced.push(path);
}
