import type { Field, Fields } from '../../contract/lake-records';
import { jsonString } from './json-string';

/** How a field's value is written: as JSON.stringify would, by the cheapest means its schema allows. */
type Written =
  /** A number, a boolean or null: its text as it is. */
  | 'bare'
  /** Text no character of which JSON escapes (a date, a picklist, a literal): between quotes as it is. */
  | 'verbatim'
  /** Any text, or null: through jsonString (JSON.stringify's output, for less). */
  | 'text'
  /** Anything else (an array, an object): JSON.stringify. */
  | 'json';

/** Words JSON never escapes: what a picklist or literal must consist of to be written verbatim. */
const PLAIN = /^[A-Za-z0-9_.:-]*$/;

interface SchemaShape {
  type: string;
  literal?: unknown;
  options?: unknown[];
  wrapped?: SchemaShape;
}

/**
 * A field's writing, from its schema (valibot's `type`) and the contract's `verbatim` mark.
 *
 * @internal
 */
export function writtenAs(field: Field): Written {
  const schema = field.schema as unknown as SchemaShape;
  const inner = schema.type === 'nullable' ? schema.wrapped! : schema;
  switch (inner.type) {
    case 'boolean':
    case 'number':
      return 'bare';
    case 'literal':
      if (typeof inner.literal !== 'string') return 'bare';
      return schema === inner && PLAIN.test(inner.literal) ? 'verbatim' : 'text';
    case 'picklist':
      return schema === inner && inner.options!.every((o) => typeof o === 'string' && PLAIN.test(o))
        ? 'verbatim'
        : 'text';
    case 'string':
      return field.verbatim && schema === inner ? 'verbatim' : 'text';
    default:
      return 'json';
  }
}

/** `[]` for an empty array (most events' violations), else JSON.stringify. */
const json = (value: unknown): string =>
  Array.isArray(value) && value.length === 0 ? '[]' : (JSON.stringify(value) ?? 'null');

/**
 * A line writer built once, from a contract's field table, at start-up: the fields in the table's order,
 * each written as `writtenAs` says, the result byte-equal to `JSON.stringify(record)` — up to `open`
 * when given, whose value the caller splices in (an event's message, serialized once or kept as sent),
 * followed by `}`.
 *
 * The writer is generated as one concatenation expression (`new Function`, from the contract's own
 * keys, never from input): a loop over the fields would cost a call and a branch per field on the
 * request path, where the hand-written template this replaces ran at about half a JSON.stringify
 * (docs/performance.md). test/domain/core/lake/line-writer.test.ts holds every writer byte-equal to
 * JSON.stringify; the bench's regression guard holds the speed.
 */
export function compileLineWriter<R>(fields: Fields, open?: keyof R & string): (record: R) => string {
  const keys = Object.keys(fields);
  // JSON.stringify leaves an undefined value's key out; a writer in a fixed order cannot.
  const optional = keys.filter((key) => (fields[key]!.schema as unknown as SchemaShape).type === 'optional');
  if (optional.length > 0)
    throw new Error(`optional fields cannot be written in a fixed order: ${optional.join(', ')}`);
  if (open !== undefined && keys.at(-1) !== open)
    throw new Error(`the open field ${open} must come last in the contract's order`);
  const terms: string[] = [];
  keys.forEach((key, i) => {
    const prefix = `${i === 0 ? '{' : ','}${JSON.stringify(key)}:`;
    if (key === open) {
      terms.push(JSON.stringify(prefix));
      return;
    }
    const value = `r[${JSON.stringify(key)}]`;
    switch (writtenAs(fields[key]!)) {
      case 'bare':
        terms.push(JSON.stringify(prefix), value);
        break;
      case 'verbatim':
        terms.push(JSON.stringify(`${prefix}"`), value, JSON.stringify('"'));
        break;
      case 'text':
        terms.push(JSON.stringify(prefix), `s(${value})`);
        break;
      case 'json':
        terms.push(JSON.stringify(prefix), `j(${value})`);
        break;
    }
  });
  if (open === undefined) terms.push(JSON.stringify('}'));
  // Adjacent constants joined: fewer concatenations.
  const expression = terms
    .reduce<string[]>((out, term) => {
      const previous = out.at(-1);
      if (previous?.startsWith('"') && term.startsWith('"'))
        out[out.length - 1] = JSON.stringify(JSON.parse(previous) + JSON.parse(term));
      else out.push(term);
      return out;
    }, [])
    .join(' + ');
  return new Function('s', 'j', `return function writeLine(r) { return ${expression}; };`)(
    jsonString,
    json,
  ) as (record: R) => string;
}
