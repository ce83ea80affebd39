import type { TrackingPlan } from '../../contract/tracking-plan';

/** What plan inference needs of a landed event. */
export interface ObservedEvent {
  type: string;
  /** The canonical name (track only). */
  event: string | null;
  message: { properties?: unknown; traits?: unknown };
}

export interface InferOptions {
  /** A property present in at least this share of an event's occurrences is required (0–1). */
  requiredShare: number;
  /** A string property with at most this many distinct values (over enough occurrences) becomes an enum. */
  maxEnumValues: number;
  /** …seen at least this many times, so a handful of events does not make every string an enum. */
  minEnumOccurrences: number;
}

export const DEFAULT_INFER_OPTIONS: InferOptions = {
  requiredShare: 0.95,
  maxEnumValues: 10,
  minEnumOccurrences: 20,
};

interface PropertyStats {
  seen: number;
  types: Set<string>;
  strings: Map<string, number>;
}

/** The JSON Schema type of a value. */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // string, boolean, object
}

function collect(stats: Map<string, PropertyStats>, fields: unknown): void {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return;
  for (const [name, value] of Object.entries(fields)) {
    let s = stats.get(name);
    if (!s) {
      s = { seen: 0, types: new Set(), strings: new Map() };
      stats.set(name, s);
    }
    s.seen += 1;
    s.types.add(typeOf(value));
    if (typeof value === 'string' && s.strings.size <= 1_000)
      s.strings.set(value, (s.strings.get(value) ?? 0) + 1);
  }
}

function schemaOf(
  stats: Map<string, PropertyStats>,
  occurrences: number,
  o: InferOptions,
): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, s] of [...stats].sort(([a], [b]) => a.localeCompare(b))) {
    // integer values are numbers too: a property seen as both is a number.
    const types = new Set(s.types);
    if (types.has('integer') && types.has('number')) types.delete('integer');
    const type = types.size === 1 ? [...types][0]! : [...types].sort();
    const property: Record<string, unknown> = { type };
    if (
      types.size === 1 &&
      types.has('string') &&
      s.seen >= o.minEnumOccurrences &&
      s.strings.size <= o.maxEnumValues
    )
      property.enum = [...s.strings.keys()].sort();
    properties[name] = property;
    if (s.seen >= o.requiredShare * occurrences) required.push(name);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

/**
 * A tracking plan that the given events satisfy: every track event seen (by canonical name), each
 * property's JSON Schema type(s), required when present in at least `requiredShare` of the event's
 * occurrences, an enum for low-cardinality strings; identify traits likewise. Mode `flag` and
 * `allowUnplanned: true`: a proposal to edit, not to enforce as is. The step Protocols users do by hand.
 *
 * @example inferPlan(events).events['Signed Up'] // { properties: { type: 'object', properties: {...} } }
 */
export function inferPlan(
  events: Iterable<ObservedEvent>,
  o: InferOptions = DEFAULT_INFER_OPTIONS,
): TrackingPlan {
  const byEvent = new Map<string, { count: number; stats: Map<string, PropertyStats> }>();
  const traits = { count: 0, stats: new Map<string, PropertyStats>() };
  for (const e of events) {
    if (e.type === 'track' && e.event) {
      let entry = byEvent.get(e.event);
      if (!entry) {
        entry = { count: 0, stats: new Map() };
        byEvent.set(e.event, entry);
      }
      entry.count += 1;
      collect(entry.stats, e.message.properties ?? {});
    } else if (e.type === 'identify') {
      traits.count += 1;
      collect(traits.stats, e.message.traits ?? {});
    }
  }
  return {
    mode: 'flag',
    allowUnplanned: true,
    events: Object.fromEntries(
      [...byEvent]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, { count, stats }]) => [name, { properties: schemaOf(stats, count, o) }]),
    ),
    ...(traits.count > 0 ? { identify: { traits: schemaOf(traits.stats, traits.count, o) } } : {}),
  };
}
