import { CURATED_TABLE } from '../curated-table';
import { IDENTITY_RULES } from '../identity';
import type { Dialect } from './curated-sql';
import { realId } from './identity-sql';
import { literal } from './sql-text';

/**
 * The feature SQL of intent scoring (`npm run intent`), for DuckDB over the local curated table and for
 * Athena: the same text but for how a JSON field is read. Every feature is computed **only from events
 * before the cutoff**; the label is whether the person performed the event in the horizon after it.
 */
export interface FeatureSpec {
  customerId: string;
  /** The conversion's event key (folded: `signedup` for every spelling of "Signed Up"). */
  eventKey: string;
  /** ISO date (`YYYY-MM-DD`): features from before its midnight (UTC), the label from after. */
  cutoff: string;
  lookbackDays: number;
  horizonDays: number;
  /**
   * How far before the cutoff a features statement reads (at least `lookbackDays`): the history that
   * decides who is who (links, aliases), who already converted, the first-seen age and the trait
   * values. It bounds what a run reads, however long the customer's history (docs/intent.md).
   */
  historyDays: number;
  /** The customer's most frequent event keys before the cutoff, one count feature each. */
  eventKeys: string[];
  /** Its most visited page paths before the cutoff, one count feature each. */
  pagePaths: string[];
  /** Its most frequent trait values (from identify calls) before the cutoff, one 0/1 feature each. */
  traitValues: { trait: string; value: string }[];
}

/** `YYYY-MM-DD` shifted by whole days. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const at = (day: string) => `TIMESTAMP ${literal(`${day} 00:00:00`)}`;

/**
 * Rows from `from` (a day) on, by their time and — so the engine prunes the curated table's month
 * partitions and the files whose `event_date` range misses — by their event date, a day earlier at
 * most (a date is the time's own but for messages dated by `sentAt` or their receive day).
 */
const fromDay = (from: string) =>
  `"timestamp" >= ${at(from)} AND event_date >= DATE ${literal(addDays(from, -1))}`;
/** Rows before `until` (a day), by time and, for pruning, by event date (a day later at most). */
const beforeDay = (until: string) => `"timestamp" < ${at(until)} AND event_date <= DATE ${literal(until)}`;
const jsonText = (dialect: Dialect, column: string, path: string) =>
  dialect === 'duckdb'
    ? `json_extract_string(${column}, ${literal(path)})`
    : `json_extract_scalar(${column}, ${literal(path)})`;

/** A JSON path to one key, quoted so any key name is safe, as each engine writes it. */
const keyPath = (dialect: Dialect, key: string) =>
  dialect === 'duckdb' ? `$."${key.replace(/"/g, '')}"` : `$["${key.replace(/"/g, '')}"]`;

/**
 * A column name for a feature: letters, digits and `_`, prefixed.
 *
 * @internal
 */
export function featureName(prefix: 'key' | 'page' | 'trait', value: string): string {
  const slug =
    value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'root';
  return `${prefix}_${slug}`.slice(0, 60);
}

/**
 * The longest event key, page path, trait name or trait value that may become a feature: each is written
 * into every features statement as a literal, and a message may hold a 32 KB path. At 200 characters the
 * largest plan — 10 keys, 10 paths, 5 trait values, every quote doubled — stays far below Athena's
 * 262,144-byte query string and, with its four sampled statements and the scoring's, Step Functions'
 * 256 KiB state payload (test/lambdas/intent-score/intent-job.test.ts builds it). A longer value is
 * passed over for the next most frequent.
 *
 * @internal
 */
export const MAX_FEATURE_VALUE_CHARS = 200;

/** How many conversions the customer's curated rows hold from `since` to before `until` (days). */
export function conversionCountSql(
  table: (name: string) => string,
  customerId: string,
  eventKey: string,
  since: string,
  until: string,
): string {
  return `SELECT count(*) AS n FROM ${table(CURATED_TABLE)}
WHERE customer_id = ${literal(customerId)} AND ${fromDay(since)} AND ${beforeDay(until)} AND event_key = ${literal(eventKey)}`;
}

/** The customer's most frequent event keys before `cutoff` (candidates for count features). */
export function topEventKeysSql(
  table: (name: string) => string,
  customerId: string,
  cutoff: string,
  k: number,
  since: string,
): string {
  return `SELECT event_key, count(*) AS n FROM ${table(CURATED_TABLE)}
WHERE customer_id = ${literal(customerId)} AND ${fromDay(since)} AND ${beforeDay(cutoff)} AND event_key IS NOT NULL
  AND length(event_key) <= ${MAX_FEATURE_VALUE_CHARS}
GROUP BY event_key ORDER BY n DESC, event_key LIMIT ${Math.floor(k)}`;
}

/** The customer's most visited page paths before `cutoff`. */
export function topPagePathsSql(
  dialect: Dialect,
  table: (name: string) => string,
  customerId: string,
  cutoff: string,
  k: number,
  since: string,
): string {
  const path = jsonText(dialect, 'properties', '$.path');
  return `SELECT ${path} AS path, count(*) AS n FROM ${table(CURATED_TABLE)}
WHERE customer_id = ${literal(customerId)} AND ${fromDay(since)} AND ${beforeDay(cutoff)} AND type = 'page' AND ${path} IS NOT NULL
  AND length(${path}) <= ${MAX_FEATURE_VALUE_CHARS}
GROUP BY 1 ORDER BY n DESC, path LIMIT ${Math.floor(k)}`;
}

/**
 * The customer's most frequent scalar trait values (`plan = trial`) on identify calls before `cutoff`.
 * Only here do the engines differ beyond a function name: the keys of a JSON object are listed by
 * `json_keys` in DuckDB and by a cast to a map in Athena.
 */
export function topTraitValuesSql(
  dialect: Dialect,
  table: (name: string) => string,
  customerId: string,
  cutoff: string,
  k: number,
  since: string,
): string {
  const keys =
    dialect === 'duckdb'
      ? `SELECT traits, unnest(json_keys(traits)) AS trait FROM ${table(CURATED_TABLE)} WHERE`
      : `SELECT traits, trait FROM ${table(CURATED_TABLE)} CROSS JOIN UNNEST(map_keys(CAST(json_parse(traits) AS map(varchar, json)))) AS t(trait) WHERE`;
  const value =
    dialect === 'duckdb'
      ? `json_extract_string(traits, '$."' || replace(trait, '"', '') || '"')`
      : `json_extract_scalar(traits, '$["' || replace(trait, '"', '') || '"]')`;
  const scalar =
    dialect === 'duckdb'
      ? `json_type(traits, '$."' || replace(trait, '"', '') || '"') IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')`
      : 'true';
  return `SELECT trait, value, count(*) AS n FROM (
  SELECT trait, ${value} AS value FROM (
    ${keys} customer_id = ${literal(customerId)} AND ${fromDay(since)} AND ${beforeDay(cutoff)} AND type = 'identify' AND traits IS NOT NULL
  ) AS k WHERE ${scalar}
) AS v WHERE value IS NOT NULL AND length(trait) <= ${MAX_FEATURE_VALUE_CHARS} AND length(value) <= ${MAX_FEATURE_VALUE_CHARS}
GROUP BY trait, value ORDER BY n DESC, trait, value LIMIT ${Math.floor(k)}`;
}

/**
 * One row per person active in the look-back window before the cutoff who had not converted before
 * it: the features, then `label` (1 when the person performs the event within the horizon).
 */
export function featuresSql(
  dialect: Dialect,
  table: (name: string) => string,
  spec: FeatureSpec,
  /** At most this many persons, drawn before any feature is computed (trainingSample). */
  sample?: number,
): string {
  const source = table(CURATED_TABLE);
  const customer = literal(spec.customerId);
  const since = addDays(spec.cutoff, -spec.lookbackDays);
  const until = addDays(spec.cutoff, spec.horizonDays);
  const path = jsonText(dialect, 'properties', '$.path');
  const recent = `e.event_at >= ${at(since)}`;
  const counts = [
    ...spec.eventKeys.map(
      (key) => `count_if(${recent} AND e.event_key = ${literal(key)}) AS ${featureName('key', key)}`,
    ),
    ...spec.pagePaths.map(
      (p) =>
        `count_if(${recent} AND e.type = 'page' AND e.path = ${literal(p)}) AS ${featureName('page', p)}`,
    ),
    // A trait value the person has had on any identify call before the cutoff.
    ...spec.traitValues.map(
      ({ trait, value }) =>
        `max(CASE WHEN e.type = 'identify' AND ${jsonText(dialect, 'e.traits', keyPath(dialect, trait))} = ${literal(value)} THEN 1 ELSE 0 END) AS ${featureName('trait', `${trait}_${value}`)}`,
    ),
  ];
  // Who is who as of the cutoff (docs/intent.md, "Persons"): a user id renamed by an alias before the
  // cutoff is its latest name's person (at most IDENTITY_RULES.aliasHops aliases, as the identity
  // graph follows them); an anonymous id seen with exactly one person before the cutoff — in a message
  // with both ids, or as an alias's previous id — is that person (their history before sign-up counts);
  // one seen with several is a shared device and links no one; placeholder ids are no one's. The label
  // may use the link the conversion itself carries: a conversion names its user id, its anonymous id,
  // and the person that anonymous id was already linked to.
  const uid = realId('user_id');
  const aid = realId('anonymous_id');
  const prev = realId(jsonText(dialect, 'message', '$.previousId'));
  const hops = Array.from({ length: IDENTITY_RULES.aliasHops }, (_, i) => i + 1);
  const canonOf = (column: string) =>
    `coalesce(${[...hops]
      .reverse()
      .map((h) => `m${h}.to_uid`)
      .join(', ')}, ${column})`;
  const mergeJoins = (column: string) =>
    hops
      .map((h) => `LEFT JOIN merges m${h} ON m${h}.from_uid = ${h === 1 ? column : `m${h - 1}.to_uid`}`)
      .join(' ');
  return `WITH r0 AS (
  SELECT ${uid} AS user_id, ${aid} AS anonymous_id, ${prev} AS previous_id, event_key, type, "timestamp" AS event_at, ${path} AS path, traits
  FROM ${source}
  WHERE customer_id = ${customer} AND ${fromDay(addDays(spec.cutoff, -Math.max(spec.historyDays, spec.lookbackDays)))} AND ${beforeDay(spec.cutoff)}
),
known AS (SELECT DISTINCT user_id FROM r0 WHERE user_id IS NOT NULL),
merges AS (
  SELECT previous_id AS from_uid, max_by(user_id, event_at) AS to_uid FROM r0
  WHERE type = 'alias' AND user_id IS NOT NULL AND previous_id IS NOT NULL AND previous_id <> user_id
    AND previous_id IN (SELECT user_id FROM known)
  GROUP BY previous_id
),
canon AS (SELECT k.user_id AS uid, ${canonOf('k.user_id')} AS person FROM known k ${mergeJoins('k.user_id')}),
r AS (
  SELECT c.person AS user_id, r0.anonymous_id, r0.previous_id, r0.event_key, r0.type, r0.event_at, r0.path, r0.traits
  FROM r0 LEFT JOIN canon c ON c.uid = r0.user_id
),
links AS (
  SELECT aid, min(uid) AS uid FROM (
    SELECT anonymous_id AS aid, user_id AS uid FROM r WHERE user_id IS NOT NULL AND anonymous_id IS NOT NULL
    UNION ALL SELECT previous_id AS aid, user_id AS uid FROM r
    WHERE type = 'alias' AND user_id IS NOT NULL AND previous_id IS NOT NULL AND previous_id NOT IN (SELECT user_id FROM known)
  ) AS pairs GROUP BY aid HAVING count(DISTINCT uid) = 1
),
e AS (
  SELECT coalesce(r.user_id, k.uid, r.anonymous_id) AS person, r.user_id IS NOT NULL OR k.uid IS NOT NULL AS identified,
    r.user_id, r.anonymous_id, r.event_key, r.type, r.event_at, r.path, r.traits
  FROM r LEFT JOIN links k ON r.user_id IS NULL AND k.aid = r.anonymous_id
  WHERE coalesce(r.user_id, r.anonymous_id) IS NOT NULL
),
converted AS (SELECT DISTINCT person FROM e WHERE event_key = ${literal(spec.eventKey)}),
eligible AS (
  ${sample === undefined ? '' : `SELECT person FROM (`}SELECT DISTINCT person FROM e WHERE ${recent.replace('e.event_at', 'event_at')}
  AND person NOT IN (SELECT person FROM converted)${sample === undefined ? '' : `) d ORDER BY ${personDigest(dialect, 'd.person')} LIMIT ${sample}`}
),
gaps AS (
  SELECT e.person, e.event_at, lag(e.event_at) OVER (PARTITION BY e.person ORDER BY e.event_at) AS previous
  FROM e JOIN eligible p ON p.person = e.person WHERE ${recent}
),
sessions AS (
  SELECT person, count_if(previous IS NULL OR date_diff('minute', previous, event_at) > 30) AS sessions
  FROM gaps GROUP BY person
),
conversions AS (
  SELECT ${uid} AS user_id, ${aid} AS anonymous_id FROM ${source}
  WHERE customer_id = ${customer} AND event_key = ${literal(spec.eventKey)}
    AND ${fromDay(spec.cutoff)} AND ${beforeDay(until)}
),
label AS (
  SELECT DISTINCT person FROM (
    SELECT user_id AS person FROM conversions
    UNION ALL SELECT anonymous_id AS person FROM conversions
    UNION ALL SELECT k.uid AS person FROM conversions c JOIN links k ON k.aid = c.anonymous_id
    UNION ALL SELECT n.person FROM conversions c JOIN canon n ON n.uid = c.user_id
  ) AS named WHERE person IS NOT NULL
)
SELECT
  p.person,
  CASE WHEN bool_or(e.identified) THEN p.person END AS user_id,
  CASE WHEN bool_or(e.identified) THEN NULL ELSE p.person END AS anonymous_id,
  count_if(${recent}) AS events_recent,
  count(DISTINCT CASE WHEN ${recent} THEN date_trunc('day', e.event_at) END) AS active_days,
  date_diff('hour', max(e.event_at), ${at(spec.cutoff)}) / 24.0 AS recency_days,
  date_diff('hour', min(e.event_at), ${at(spec.cutoff)}) / 24.0 AS first_seen_days,
  max(s.sessions) AS sessions${counts.length ? `,\n  ${counts.join(',\n  ')}` : ''},
  CASE WHEN max(l.person) IS NULL THEN 0 ELSE 1 END AS label
FROM eligible p
JOIN e ON e.person = p.person
LEFT JOIN sessions s ON s.person = p.person
LEFT JOIN label l ON l.person = p.person
GROUP BY p.person
ORDER BY p.person`;
}

/** The columns of featuresSql's rows that are features (all but the identities and `label`). */
export function featureColumns(spec: Pick<FeatureSpec, 'eventKeys' | 'pagePaths' | 'traitValues'>): string[] {
  return [
    'events_recent',
    'active_days',
    'recency_days',
    'first_seen_days',
    'sessions',
    ...spec.eventKeys.map((k) => featureName('key', k)),
    ...spec.pagePaths.map((p) => featureName('page', p)),
    ...spec.traitValues.map(({ trait, value }) => featureName('trait', `${trait}_${value}`)),
  ];
}

/** Count features for the customer's 10 most frequent event keys and 10 most visited pages. */
export const TOP_FEATURES = 10;
/** 0/1 features for its 5 most frequent trait values: a few, as plans and roles are few. */
export const TOP_TRAIT_VALUES = 5;

/**
 * The feature lists from the answers of topEventKeysSql (asked for one more than needed) and
 * topPagePathsSql: the conversion's own key left out (it is the label), one column per name.
 */
export function featureLists(
  keys: string[],
  pages: string[],
  traits: { trait: string; value: string }[],
  eventKey: string,
): Pick<FeatureSpec, 'eventKeys' | 'pagePaths' | 'traitValues'> {
  const eventKeys = keys.filter((k) => k !== eventKey).slice(0, TOP_FEATURES);
  const seen = new Set(eventKeys.map((k) => featureName('key', k)));
  const pagePaths = pages.filter((p) => {
    const name = featureName('page', p);
    const fresh = !seen.has(name);
    seen.add(name);
    return fresh;
  });
  const traitValues = traits.filter(({ trait, value }) => {
    const name = featureName('trait', `${trait}_${value}`);
    const fresh = !seen.has(name);
    seen.add(name);
    return fresh;
  });
  return { eventKeys, pagePaths, traitValues };
}

/**
 * A person's place in a training sample: the MD5 of the id — the same persons every run and in both
 * engines (DuckDB's hex digest sorts as Athena's bytes do), a TopN each computes without sorting
 * everyone. The sample is drawn from the eligible persons before any feature is computed, so a
 * customer of 100 M users computes features, sessions and labels for at most the sample.
 */
function personDigest(dialect: Dialect, person: string): string {
  return dialect === 'duckdb' ? `md5(${person})` : `md5(to_utf8(${person}))`;
}
