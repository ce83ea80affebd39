const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FIRST_PRINTABLE = 0x20;
const FIRST_SURROGATE = 0xd800;
const LAST_SURROGATE = 0xdfff;

/**
 * A string (or null) as JSON: what `JSON.stringify` writes, byte for byte. A string with nothing to
 * escape (no quote, backslash, control character or surrogate) is written between quotes as it is;
 * any other goes through `JSON.stringify`, which escapes it. A lake line carries about a dozen short
 * strings (ids, names, instants), and looking at their few characters costs less than a call to the
 * serializer for each. test/domain/core/lake/json-string.test.ts holds the two equal for every UTF-16 unit.
 */
export function jsonString(value: string | null): string {
  if (value === null) return 'null';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (
      c < FIRST_PRINTABLE ||
      c === QUOTE ||
      c === BACKSLASH ||
      (c >= FIRST_SURROGATE && c <= LAST_SURROGATE)
    )
      return JSON.stringify(value);
  }
  return `"${value}"`;
}
