/**
 * The landing areas of the lake, which are also the S3 top-level prefixes, and the one rule that routes
 * a lake line to its area. Firehose's jq query, redrive, the local spool, the IAM prefixes and the Glue
 * tables all derive from here.
 */
export const LAKE_AREAS = ['events', 'quarantine', 'ledger'] as const;
export type LakeArea = (typeof LAKE_AREAS)[number];

/** Where Firehose writes what it could not deliver (`errors/<error-output-type>/…`). */
export const FIREHOSE_ERRORS_PREFIX = 'errors';

/** Every prefix Firehose writes: the areas and its error output. */
export const FIREHOSE_PREFIXES = [...LAKE_AREAS, FIREHOSE_ERRORS_PREFIX] as const;

/**
 * The routing rule: a line goes to the first area whose marker field it has, else to `events`.
 * Quarantine entries carry `reason`, ledger lines `ledger_version`; events carry neither.
 */
export const AREA_MARKERS = [
  { area: 'quarantine', field: 'reason' },
  { area: 'ledger', field: 'ledger_version' },
] as const satisfies readonly { area: LakeArea; field: string }[];
export const DEFAULT_AREA: LakeArea = 'events';

/** The area of a parsed lake line, by the routing rule. */
export function areaOf(record: object): LakeArea {
  for (const { area, field } of AREA_MARKERS) if (Object.hasOwn(record, field)) return area;
  return DEFAULT_AREA;
}

/**
 * The same rule as a jq 1.6 expression, for Firehose's MetadataExtraction processor:
 * `(if has("reason") then "quarantine" elif has("ledger_version") then "ledger" else "events" end)`.
 */
export function areaJq(): string {
  const [first, ...rest] = AREA_MARKERS;
  const branches = [
    `if has("${first.field}") then "${first.area}"`,
    ...rest.map(({ area, field }) => `elif has("${field}") then "${area}"`),
  ];
  return `(${branches.join(' ')} else "${DEFAULT_AREA}" end)`;
}
