import { boundedMemo } from '../common/bounded-memo';
import { CONNECTOR_WORDS, SEMANTIC_EVENTS } from './event-name-table';

/** A customer's own aliases: any spelling of the key means the value (a canonical event name). */
export type EventAliases = Readonly<Record<string, string>>;

export interface EventName {
  /** The name to analyse: a semantic-spec name, a customer alias target, or the words in Title Case. */
  canonical: string;
  /** Lower-case letters and digits only; equal for every spelling of one event. */
  key: string;
}

/**
 * Splits a name into lower-case words: camelCase boundaries, separators (`_`, `-`, `.`, spaces, any
 * punctuation) and case are ignored.
 *
 * @example eventWords('signUp_now') // ['sign', 'up', 'now']
 */
function eventWords(name: string): string[] {
  // camelCase boundaries count only in names that have lower-case letters: in `SIGN_UP` or `A0A` an
  // upper-case letter after a digit starts no new word.
  const split = /\p{Ll}/u.test(name) ? name.replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, '$1 $2') : name;
  return split
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/** The folded form of a name: its words joined. `sign_up`, `signup`, `Sign Up`, `SIGN UP` → `signup`. */
export function foldEventName(name: string): string {
  return eventWords(name).join('');
}

const SEMANTIC_BY_KEY: ReadonlyMap<string, string> = new Map(
  Object.entries(SEMANTIC_EVENTS).flatMap(([canonical, spellings]) =>
    [canonical, ...spellings].map((spelling) => [foldEventName(spelling), canonical] as const),
  ),
);

/** Title Case as the specs write names: every word capitalized but connector words after the first. */
function titleCase(words: string[]): string {
  return words
    .map((word, i) =>
      i > 0 && CONNECTOR_WORDS.has(word) ? word : word.charAt(0).toUpperCase() + word.slice(1),
    )
    .join(' ');
}

/** Folds a customer's alias table once, so lookups per event are a map read. */
export function compileAliases(aliases: EventAliases | undefined): ReadonlyMap<string, string> {
  const compiled = new Map<string, string>();
  for (const [from, to] of Object.entries(aliases ?? {})) {
    const key = foldEventName(from);
    if (!key || typeof to !== 'string' || !to.trim()) continue;
    compiled.set(key, to.trim());
    // The target names itself too, so normalizing an already normalized name changes nothing.
    if (!compiled.has(foldEventName(to))) compiled.set(foldEventName(to), to.trim());
  }
  return compiled;
}

/**
 * The canonical name of an event. A customer alias wins, then Segment's semantic-spec names; any other
 * name becomes its words in Title Case. Applying it to its own output changes nothing.
 *
 * @example normalizeEventName('sign_up').canonical // 'Signed Up'
 * @example normalizeEventName('button_clicked').canonical // 'Button Clicked'
 */
export function normalizeEventName(
  raw: string,
  aliases: ReadonlyMap<string, string> = NO_ALIASES,
): EventName {
  // Event names repeat endlessly: remember each alias table's answers (bounded).
  let memo = MEMO.get(aliases);
  if (!memo) {
    memo = boundedMemo(10_000, (name: string) => computeEventName(name, aliases));
    MEMO.set(aliases, memo);
  }
  return memo(raw);
}
const NO_ALIASES: ReadonlyMap<string, string> = new Map();
const MEMO = new WeakMap<ReadonlyMap<string, string>, (raw: string) => EventName>();

function computeEventName(raw: string, aliases: ReadonlyMap<string, string>): EventName {
  const words = eventWords(raw);
  const folded = words.join('');
  const target = aliases.get(folded) ?? SEMANTIC_BY_KEY.get(folded);
  if (target !== undefined) {
    // A target may itself be a known spelling ("signup" → "Signed Up"), so resolve it once more.
    const canonical = SEMANTIC_BY_KEY.get(foldEventName(target)) ?? target;
    return { canonical, key: foldEventName(canonical) };
  }
  return words.length === 0
    ? { canonical: raw.trim(), key: raw.trim() }
    : { canonical: titleCase(words), key: folded };
}
