import { areaOf, receivedDt } from '../../contract/lake-areas';
import type { ErasureMatcher } from './erasure-matcher';

/** What an erase took out of one object. */
export interface ErasedLines {
  /** The object's new text; unchanged (the same string) when nothing matched. */
  text: string;
  events: number;
  quarantine: number;
  /** Landing rows removed per receive day: completeness subtracts them. */
  byDay: Map<string, { events: number; quarantine: number }>;
  /** For each line kept, its index before (redrive's state names quarantine lines by index). */
  keptIndexes: number[];
}

type Row = Record<string, unknown>;

/** Learns links from every event line of a landing or Firehose error object's text. */
export function linkFromText(text: string, matcher: ErasureMatcher): void {
  for (const record of lakeRecords(text)) if (areaOf(record) === 'events') matcher.link(record);
}

/**
 * The text of a landing object (JSON lines) or of a Firehose error-output object (one error record a
 * line, our record base64 in `rawData`) without the lines about the users being erased. Lines that are
 * not JSON are kept as they are (an erase never destroys what it cannot read), unless they name an
 * erased id.
 */
export function eraseFromText(text: string, matcher: ErasureMatcher): ErasedLines {
  const out: ErasedLines = { text, events: 0, quarantine: 0, byDay: new Map(), keptIndexes: [] };
  const kept: string[] = [];
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  lines.forEach((line, index) => {
    const record = parse(line);
    if (record && typeof record.rawData === 'string') {
      const inner = eraseFromText(Buffer.from(record.rawData, 'base64').toString('utf8'), matcher);
      add(out, inner);
      if (inner.events + inner.quarantine === 0) {
        kept.push(line);
        out.keptIndexes.push(index);
      } else if (inner.text.trim().length > 0) {
        kept.push(JSON.stringify({ ...record, rawData: Buffer.from(inner.text).toString('base64') }));
        out.keptIndexes.push(index);
      }
      return;
    }
    const area = record ? areaOf(record) : undefined;
    const removed =
      record === undefined
        ? line.length > 0 && matcher.mentions(line)
        : area === 'events'
          ? matcher.matchesEvent(record)
          : area === 'quarantine'
            ? matcher.matchesQuarantine(record)
            : false;
    if (!removed) {
      kept.push(line);
      out.keptIndexes.push(index);
      return;
    }
    const kind = area === 'events' ? 'events' : 'quarantine';
    out[kind] += 1;
    if (record) {
      const day = receivedDt(record);
      const counts = out.byDay.get(day) ?? { events: 0, quarantine: 0 };
      counts[kind] += 1;
      out.byDay.set(day, counts);
    }
  });
  if (out.events + out.quarantine > 0)
    out.text = kept.join('\n') + (trailing !== undefined && kept.length > 0 ? '\n' : '');
  return out;
}

function add(into: ErasedLines, from: ErasedLines): void {
  into.events += from.events;
  into.quarantine += from.quarantine;
  for (const [day, counts] of from.byDay) {
    const known = into.byDay.get(day) ?? { events: 0, quarantine: 0 };
    known.events += counts.events;
    known.quarantine += counts.quarantine;
    into.byDay.set(day, known);
  }
}

function* lakeRecords(text: string): Generator<Row> {
  for (const line of text.split('\n')) {
    const record = parse(line);
    if (!record) continue;
    if (typeof record.rawData === 'string') {
      yield* lakeRecords(Buffer.from(record.rawData, 'base64').toString('utf8'));
    } else yield record;
  }
}

function parse(line: string): Row | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Row) : undefined;
  } catch {
    return undefined;
  }
}
