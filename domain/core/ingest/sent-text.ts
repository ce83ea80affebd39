/**
 * Where each message of a request body sits in the body's text, so that a message can be stored as it
 * was sent instead of serialized again. `JSON.stringify` of every message was a quarter of the core's
 * time on batches; finding the messages' bounds costs less (docs/performance.md).
 *
 * The text of a message can stand in for its serialization only when the two mean the same JSON. A
 * repeated key shows as fewer members in the parsed message (`membersOf`) than in its text; the rest
 * (canonical field names, a messageId) the caller checks: see `storableText` in prepare-messages.ts.
 * The scanner expects text that `JSON.parse` accepted (the caller parsed it first) and does not check
 * the grammar again; text cut short gives undefined. The text was decoded from UTF-8 (read-body.ts,
 * or API Gateway), so it holds no lone surrogate that a serialization would have written as an escape.
 */

import type { ParsedBody } from './parse-body';

/** One message's text as sent, with what its text alone says about it. */
export interface SentText {
  text: string;
  /**
   * Object members in it, at every depth (counted where the text is exact): fewer in the parsed message
   * means a key was repeated.
   */
  members: number;
  /** How deeply objects and arrays nest in it (1 for a flat object). */
  depth: number;
  /**
   * Whether the text is as compact and exact as `JSON.stringify` would write it: no whitespace between
   * tokens (so no line break, which would split a lake line), and no number a double cannot hold as
   * written (an exponent, or more than 15 characters: `1e400` is Infinity and `2^64` loses digits).
   */
  exact: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SPACE = 0x20;
// A double holds every integer of 15 digits exactly; a longer number may be rounded when parsed.
const MAX_EXACT_NUMBER_CHARS = 15;

/**
 * The text of each message in a body of the shape parseBody found: for a batch, the elements of a bare
 * array or of a `{"batch": [...]}` envelope's array (the last `batch` key, as `JSON.parse` keeps); for
 * a single message, the body itself (scanned once; its keys need no look).
 * An element that is not an object or array is `undefined`. The whole answer is `undefined` when the
 * body is not what was expected (a top-level key written with escapes, another shape, text cut short).
 *
 * @example sentTexts('{"batch":[{"type":"track"}]}', 'batch')?.[0]?.text // '{"type":"track"}'
 */
export function sentTexts(body: string, shape: ParsedBody['shape']): (SentText | undefined)[] | undefined {
  const start = skipSpace(body, 0);
  const first = body.charCodeAt(start);
  if (first === OPEN_BRACKET) return shape === 'batch' ? elements(body, start)?.texts : undefined;
  if (first !== OPEN_BRACE) return undefined;
  if (shape === 'single') {
    const single = compound(body, start);
    return single ? [single] : undefined;
  }
  let batch: (SentText | undefined)[] | undefined;
  let i = skipSpace(body, start + 1);
  while (body.charCodeAt(i) !== CLOSE_BRACE) {
    if (body.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = stringEnd(body, i);
    if (keyEnd < 0) return undefined;
    const key = body.slice(i + 1, keyEnd - 1);
    // `"b\u0061tch"` is `batch` to JSON.parse: a key with escapes is not guessed at.
    if (key.includes('\\')) return undefined;
    i = skipSpace(body, keyEnd);
    if (body.charCodeAt(i) !== COLON) return undefined;
    i = skipSpace(body, i + 1);
    let end: number;
    if (key === 'batch' && body.charCodeAt(i) === OPEN_BRACKET) {
      const found = elements(body, i);
      if (!found) return undefined;
      batch = found.texts;
      end = found.end;
    } else end = valueEnd(body, i);
    if (end < 0) return undefined;
    i = skipSpace(body, end);
    if (body.charCodeAt(i) === COMMA) i = skipSpace(body, i + 1);
    else if (body.charCodeAt(i) !== CLOSE_BRACE) return undefined;
  }
  return batch;
}

/** The texts of an array's elements (`at` is its `[`), and where the array ends. */
function elements(body: string, at: number): { texts: (SentText | undefined)[]; end: number } | undefined {
  const texts: (SentText | undefined)[] = [];
  let i = skipSpace(body, at + 1);
  if (body.charCodeAt(i) === CLOSE_BRACKET) return { texts, end: i + 1 };
  for (;;) {
    const c = body.charCodeAt(i);
    let end: number;
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const text = compound(body, i);
      if (!text) return undefined;
      texts.push(text);
      end = i + text.text.length;
    } else {
      texts.push(undefined);
      end = valueEnd(body, i);
      if (end < 0) return undefined;
    }
    i = skipSpace(body, end);
    const next = body.charCodeAt(i);
    if (next === CLOSE_BRACKET) return { texts, end: i + 1 };
    if (next !== COMMA) return undefined;
    i = skipSpace(body, i + 1);
  }
}

/** An object or array starting at `at`, scanned to its end. */
function compound(body: string, at: number): SentText | undefined {
  let depth = 0;
  let deepest = 0;
  let members = 0;
  let exact = true;
  let i = at;
  while (i < body.length) {
    const c = body.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(body, i);
      if (i < 0) return undefined;
      // A key's colon, or a value's comma, follows a string in compact text: step over it at once.
      const next = body.charCodeAt(i);
      if (next === COLON) {
        members += 1;
        i += 1;
      } else if (next === COMMA) i += 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      i += 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
      i += 1;
      if (depth === 0) return { text: body.slice(at, i), members, depth: deepest, exact };
    } else if (c <= SPACE) {
      exact = false;
      i += 1;
    } else if (c === COLON || c === COMMA) i += 1;
    else {
      // A number or a literal (true, false, null): its token runs to the next delimiter.
      const end = scalarEnd(body, i);
      const isNumber = c === 0x2d || (c >= 0x30 && c <= 0x39);
      if (isNumber && (end - i > MAX_EXACT_NUMBER_CHARS || hasExponent(body, i, end))) exact = false;
      i = end;
    }
  }
  return undefined;
}

/**
 * Object members in a parsed value, at every depth: what `SentText.members` counts in its text, so the
 * two differ only when the text repeats a key. It recurses: call it on a value whose depth is bounded.
 */
export function membersOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  // Only objects and arrays are looked into: no call for each string or number in them.
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object') count += membersOf(item);
    return count;
  }
  for (const key in value) {
    count += 1;
    const member = (value as Record<string, unknown>)[key];
    if (member !== null && typeof member === 'object') count += membersOf(member);
  }
  return count;
}

/** Where the value starting at `at` ends, or -1. */
function valueEnd(body: string, at: number): number {
  const c = body.charCodeAt(at);
  if (c === QUOTE) return stringEnd(body, at);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    const text = compound(body, at);
    return text ? at + text.text.length : -1;
  }
  const end = scalarEnd(body, at);
  return end > at ? end : -1;
}

/** Whether the number written from `at` to `end` has an exponent (`e` or `E`). */
function hasExponent(body: string, at: number, end: number): boolean {
  for (let i = at; i < end; i++) if ((body.charCodeAt(i) | 0x20) === 0x65) return true;
  return false;
}

function scalarEnd(body: string, at: number): number {
  let i = at;
  while (i < body.length) {
    const c = body.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON || c <= SPACE) break;
    i += 1;
  }
  return i;
}

/** The index just past the string whose opening quote is at `at`, or -1 when it does not close. */
function stringEnd(body: string, at: number): number {
  let from = at + 1;
  for (;;) {
    const quote = body.indexOf('"', from);
    if (quote < 0) return -1;
    // The quote closes the string unless an odd number of backslashes escapes it.
    let slash = quote - 1;
    while (body.charCodeAt(slash) === BACKSLASH) slash -= 1;
    if ((quote - 1 - slash) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipSpace(body: string, at: number): number {
  let i = at;
  while (i < body.length && body.charCodeAt(i) <= SPACE) i += 1;
  return i;
}
