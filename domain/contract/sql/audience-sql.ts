import { AUDIENCES_TABLE } from '../audiences';
import { CURATED_TABLE, SCORES_TABLE } from '../curated-table';
import { IDENTITIES_TABLE } from '../identity';
import type { Dialect } from './curated-sql';
import { identifier, literal } from './sql-text';

/**
 * The statements of the audiences (`npm run audience` on DuckDB, the audience functions on Athena),
 * one text for both engines where the two agree and a dialect switch where they do not.
 * test/contract/audience-sql.test.ts runs the DuckDB text against `groupOf` and `topMembers`
 * (domain/core/audiences/membership.ts, the reference), and the Athena-rules test parses the Athena one.
 */
export type TableRef = (name: string) => string;

const GROUP = identifier('group');

/**
 * `groupOf` in SQL: the first four bytes of SHA-256(audience, newline, user) as an unsigned number in
 * [0, 1), below the holdout share → `holdout`. DuckDB's sha256 gives hex; Athena's gives bytes, made hex.
 *
 * @internal
 */
export function audienceGroupSql(
  dialect: Dialect,
  audience: string,
  userColumn: string,
  holdoutPercent: number,
): string {
  const input = `${literal(audience)} || chr(10) || ${userColumn}`;
  const first32 =
    dialect === 'duckdb'
      ? `CAST('0x' || substr(sha256(${input}), 1, 8) AS UBIGINT)`
      : `from_base(substr(to_hex(sha256(to_utf8(${input}))), 1, 8), 16)`;
  return `CASE WHEN CAST(${first32} AS DOUBLE) / 4294967296 < ${holdoutPercent / 100} THEN 'holdout' ELSE 'target' END`;
}

/** What one version of an audience is built from. */
export interface AudienceVersionSpec {
  customer: string;
  eventKey: string;
  /** The scoring it is built from. */
  asOf: string;
  name: string;
  /** The top share of percentiles, in percent (0, 100]. */
  top: number;
  /** The share held out, in percent [0, 50]. */
  holdout: number;
  createdAt: string;
  /** The version being built (default 1): earlier versions' assignments are kept (audienceMembersSql). */
  version?: number;
}

/**
 * The members of a version, in the columns of a members file (AUDIENCE_COLUMNS): the scored people in
 * the top `top` % of percentiles (`topMembers`' floor, with its tolerance), each with its group.
 *
 * **Assignments are stored, never recomputed:** a person an earlier version assigned keeps the group of
 * their earliest assignment under any of their ids — their own, or an anonymous id linked to them before
 * the scoring date (seen with their user id and no other, as the features link them: docs/intent.md,
 * "Persons"), so a visitor held out under their anonymous id stays held out once they sign up. Only a
 * person never assigned gets the keyed hash's group (audienceGroupSql).
 */
export function audienceMembersSql(dialect: Dialect, table: TableRef, spec: AudienceVersionSpec): string {
  const floor = 1 - spec.top / 100 - 1e-12;
  const customer = literal(spec.customer);
  const scored =
    `SELECT person, percentile FROM ${table(SCORES_TABLE)} ` +
    `WHERE customer_id = ${customer} AND event_key = ${literal(spec.eventKey)} ` +
    `AND as_of = DATE ${literal(spec.asOf)} AND percentile >= ${floor}`;
  const hashed = audienceGroupSql(dialect, spec.name, 's.person', spec.holdout);
  const select = (group: string) =>
    `SELECT s.person AS user_id, ${group} AS ${GROUP}, s.percentile, ${literal(spec.createdAt)} AS created_at FROM s`;
  const version = Math.trunc(spec.version ?? 1);
  if (version <= 1) return `WITH s AS (${scored}) ${select(hashed)}`;
  return (
    `WITH s AS (${scored}), ` +
    `prior AS (SELECT user_id AS id, min_by(${GROUP}, version) AS grp, min(version) AS first_version FROM ${table(AUDIENCES_TABLE)} ` +
    `WHERE customer_id = ${customer} AND audience = ${literal(spec.name)} AND version < ${version} GROUP BY user_id), ` +
    `links AS (SELECT anonymous_id AS aid, min(user_id) AS uid FROM ${table(CURATED_TABLE)} ` +
    `WHERE customer_id = ${customer} AND "timestamp" < TIMESTAMP ${literal(`${spec.asOf} 00:00:00`)} ` +
    'AND user_id IS NOT NULL AND anonymous_id IS NOT NULL GROUP BY anonymous_id HAVING count(DISTINCT user_id) = 1), ' +
    'ids AS (SELECT person, person AS id FROM s UNION ALL SELECT s.person, l.aid AS id FROM s JOIN links l ON l.uid = s.person), ' +
    // The earliest version first; between ids first assigned in one version, the smallest id.
    "earliest AS (SELECT i.person, min_by(p.grp, lpad(CAST(p.first_version AS varchar), 9, '0') || p.id) AS grp " +
    'FROM ids i JOIN prior p ON p.id = i.id GROUP BY i.person) ' +
    `${select(`coalesce(e.grp, ${hashed})`)} LEFT JOIN earliest e ON e.person = s.person`
  );
}

/** The latest scoring date of (customer, event key), as `d` (NULL: never scored). */
export function latestScoringSql(table: TableRef, customer: string, eventKey: string): string {
  return `SELECT CAST(max(as_of) AS varchar) AS d FROM ${table(SCORES_TABLE)} WHERE customer_id = ${literal(customer)} AND event_key = ${literal(eventKey)}`;
}

const members = (table: TableRef, customer: string, name: string, version: number) =>
  `SELECT user_id, ${GROUP} AS grp FROM ${table(AUDIENCES_TABLE)} WHERE customer_id = ${literal(customer)} AND audience = ${literal(name)} AND version = ${version}`;

/**
 * A version's sizes and its change from the one before (version 0: none): `target`, `holdout`,
 * `entered`, `left`, one row.
 */
export function audienceChangeSql(table: TableRef, customer: string, name: string, version: number): string {
  return (
    `SELECT count_if(cur.grp = 'target') AS target, count_if(cur.grp = 'holdout') AS holdout, ` +
    `count_if(prev.user_id IS NULL) AS entered, count_if(cur.user_id IS NULL) AS ${identifier('left')} ` +
    `FROM (${members(table, customer, name, version)}) cur ` +
    `FULL OUTER JOIN (${members(table, customer, name, version - 1)}) prev ON prev.user_id = cur.user_id`
  );
}

/**
 * The lift's data, by intent to treat: every member ever assigned to the audience (every version, or —
 * `firstVersion` — those whose first assignment was that version), in the group of their first
 * assignment, counted from the later of that assignment (the scoring date of the version that brought
 * them in) and `from`. Per group, version of first assignment and day of first conversion on the
 * predicted event (by the events' own date; NULL: not converted), how many members. Counting only the
 * latest version would drop everyone a rescoring left out — converters first, since their score falls
 * once they convert.
 */
export function audienceConversionsSql(
  table: TableRef,
  audience: {
    customer_id: string;
    name: string;
    event_key: string;
    versions: readonly { version: number; as_of: string }[];
  },
  from: string,
  firstVersion?: number,
): string {
  const customer = literal(audience.customer_id);
  const scoredAt = audience.versions
    .map((v) => `(${Math.trunc(v.version)}, DATE ${literal(v.as_of.slice(0, 10))})`)
    .join(', ');
  return (
    `WITH va (version, as_of) AS (VALUES ${scoredAt}), ` +
    `v AS (SELECT m.user_id, m.${GROUP} AS grp, m.version, va.as_of FROM ${table(AUDIENCES_TABLE)} m ` +
    `JOIN va ON va.version = m.version WHERE m.customer_id = ${customer} AND m.audience = ${literal(audience.name)}), ` +
    'a AS (SELECT user_id, min_by(grp, version) AS grp, min(version) AS first_version, ' +
    `greatest(min_by(as_of, version), DATE ${literal(from)}) AS counted_from FROM v GROUP BY user_id), ` +
    // A conversion counts for each id it carries: a visitor assigned under their anonymous id converts
    // with a sign-up that carries it beside their new user id (docs/intent.md, "Persons").
    `cv AS (SELECT user_id, anonymous_id, event_date FROM ${table(CURATED_TABLE)} ` +
    `WHERE customer_id = ${customer} AND event_key = ${literal(audience.event_key)} AND event_date >= DATE ${literal(from)}), ` +
    'c AS (SELECT user_id AS person, event_date FROM cv WHERE user_id IS NOT NULL ' +
    'UNION ALL SELECT anonymous_id AS person, event_date FROM cv WHERE anonymous_id IS NOT NULL), ' +
    'f AS (SELECT a.user_id, a.grp, a.first_version, min(c.event_date) AS first_day FROM a ' +
    'LEFT JOIN c ON c.person = a.user_id AND c.event_date >= a.counted_from GROUP BY 1, 2, 3) ' +
    `SELECT grp AS ${GROUP}, first_version, CAST(first_day AS varchar) AS first_day, count(*) AS users FROM f ` +
    `${firstVersion === undefined ? '' : `WHERE first_version = ${Math.trunc(firstVersion)} `}GROUP BY 1, 2, 3`
  );
}

/** What a sync sends for one audience, and what it sent last (none: the first sync). */
export interface AudienceSyncSpec {
  customer: string;
  name: string;
  event: string;
  eventKey: string;
  version: number;
  asOf: string;
  previous?: { version: number; asOf: string } | undefined;
  /**
   * Visitors whose anonymous id was linked to a user (received) at or after this instant are sent again
   * with that user id, though nothing else changed: the previous sync, less the curated table's lag.
   */
  linkedSince?: string | undefined;
}

/** The instant as a TIMESTAMP literal in UTC, as the curated table keeps received_at. */
const utcTimestamp = (iso: string) =>
  `TIMESTAMP ${literal(new Date(iso).toISOString().slice(0, 19).replace('T', ' '))}`;

/**
 * Each visitor among `persons` (a relation with `user_id`) re-checked against the identity graph as it
 * is now (the `identities` table: a merged link — never a shared device, a placeholder id or a link past
 * a person's cap, docs/lake.md "Identities"), and when a message carrying that anonymous id with a user
 * id first reached the lake (NULL for a link only an alias made). Columns: aid, uid, linked_at.
 */
const linksOf = (table: TableRef, customer: string, persons: string) =>
  `SELECT g.anonymous_id AS aid, g.user_id AS uid, min(c.received_at) AS linked_at FROM ${table(IDENTITIES_TABLE)} g ` +
  `LEFT JOIN ${table(CURATED_TABLE)} c ON c.customer_id = ${literal(customer)} AND c.anonymous_id = g.anonymous_id AND c.user_id IS NOT NULL ` +
  `WHERE g.customer_id = ${literal(customer)} AND g.merged AND g.anonymous_id IN (SELECT user_id FROM ${persons}) ` +
  'GROUP BY g.anonymous_id, g.user_id';

/**
 * The members whose membership trait of one audience changed since the last sync: members of the latest
 * version and of the version last synced, compared on group. A member who left has group `left` (sent
 * as false). Columns: user_id (the person), audience, event, grp, percentile and probability (NULL: the
 * prediction traits are predictionSyncSql's), anonymous (the person is a visitor scored under their
 * anonymous id: sent by `anonymousId`), linked_user_id (such a visitor's user id since they signed up:
 * sent with both ids). A visitor linked since `linkedSince` is sent again though nothing else changed.
 */
export function audienceSyncSql(table: TableRef, spec: AudienceSyncSpec): string {
  const customer = literal(spec.customer);
  const anonymousOf = (asOf: string) =>
    `SELECT person, user_id IS NULL AS anonymous FROM ${table(SCORES_TABLE)} ` +
    `WHERE customer_id = ${customer} AND event_key = ${literal(spec.eventKey)} AND as_of = DATE ${literal(asOf)}`;
  const previous = spec.previous ?? { version: 0, asOf: spec.asOf };
  const linkedSince =
    spec.linkedSince === undefined
      ? ''
      : ` OR (x.anonymous AND l.linked_at >= ${utcTimestamp(spec.linkedSince)})`;
  return (
    `WITH cur AS (${members(table, spec.customer, spec.name, spec.version)}), ` +
    `prev AS (${members(table, spec.customer, spec.name, previous.version)}), ` +
    `sc AS (${anonymousOf(spec.asOf)}), sp AS (${anonymousOf(previous.asOf)}), ` +
    "u AS (SELECT coalesce(cur.user_id, prev.user_id) AS user_id, coalesce(cur.grp, 'left') AS grp, prev.grp AS was " +
    'FROM cur FULL OUTER JOIN prev ON prev.user_id = cur.user_id), ' +
    `l AS (${linksOf(table, spec.customer, 'u')}), ` +
    'x AS (SELECT u.user_id, u.grp, u.was, coalesce(sc.anonymous, sp.anonymous, false) AS anonymous ' +
    'FROM u LEFT JOIN sc ON sc.person = u.user_id LEFT JOIN sp ON sp.person = u.user_id) ' +
    `SELECT x.user_id, ${literal(spec.name)} AS audience, ${literal(spec.event)} AS event, x.grp, ` +
    'CAST(NULL AS double) AS percentile, CAST(NULL AS double) AS probability, ' +
    'x.anonymous, CASE WHEN x.anonymous THEN l.uid END AS linked_user_id ' +
    'FROM x LEFT JOIN l ON l.aid = x.user_id ' +
    `WHERE x.was IS NULL OR x.was <> x.grp${linkedSince}`
  );
}

/** The group of predictionSyncSql's rows (an audience's rows carry a member's group). */
export const PREDICTION_GROUP = 'prediction';

/** One event's current predictions to sync (docs/audiences.md, "One prediction per person"). */
export interface PredictionSyncSpec {
  customer: string;
  event: string;
  eventKey: string;
  /** The latest scoring of the event (never one graded Poor: the caller leaves the event out). */
  asOf: string;
  /** The scoring last synced, and the audience versions whose holdouts applied then. */
  previous?: { asOf: string; holdouts: { name: string; version: number }[] } | undefined;
  /** The audience versions whose holdouts apply now: every audience of the customer. */
  holdouts: { name: string; version: number }[];
  /** Visitors scored under their anonymous id: only when the customer opted in. */
  includeAnonymous: boolean;
  linkedSince?: string | undefined;
}

/**
 * The persons whose one current prediction of an event is sent: every person of the latest scoring
 * outside the current holdouts whose decile differs from the scoring last synced (or who was not sent
 * then: new, or held out then), and — with NULL percentile and probability, which unset the traits —
 * the persons now held out who were sent a prediction before. The same columns as audienceSyncSql,
 * `audience` NULL and `grp` PREDICTION_GROUP.
 */
export function predictionSyncSql(table: TableRef, spec: PredictionSyncSpec): string {
  const customer = literal(spec.customer);
  const scored = (asOf: string) =>
    `SELECT person, round(percentile, 4) AS percentile, round(probability, 6) AS probability, decile, user_id IS NULL AS anonymous FROM ${table(SCORES_TABLE)} ` +
    `WHERE customer_id = ${customer} AND event_key = ${literal(spec.eventKey)} AND as_of = DATE ${literal(asOf)}`;
  const held = (versions: readonly { name: string; version: number }[]) =>
    versions.length === 0
      ? `SELECT CAST(NULL AS varchar) AS user_id WHERE false`
      : `SELECT DISTINCT user_id FROM ${table(AUDIENCES_TABLE)} WHERE customer_id = ${customer} AND ${GROUP} = 'holdout' AND (${versions
          .map((v) => `(audience = ${literal(v.name)} AND version = ${Math.trunc(v.version)})`)
          .join(' OR ')})`;
  const previous = spec.previous;
  const linkedSince =
    spec.linkedSince === undefined
      ? ''
      : ` OR (x.anonymous AND l.linked_at >= ${utcTimestamp(spec.linkedSince)})`;
  return (
    `WITH cur AS (${scored(spec.asOf)}), ` +
    `prev AS (${previous ? scored(previous.asOf) : `${scored(spec.asOf)} AND false`}), ` +
    `held AS (${held(spec.holdouts)}), was_held AS (${held(previous?.holdouts ?? [])}), ` +
    'x AS (SELECT coalesce(cur.person, prev.person) AS user_id, cur.percentile, cur.probability, cur.decile, ' +
    'prev.decile AS was_decile, cur.person IS NOT NULL AS scored, prev.person IS NOT NULL AS sent_before, ' +
    'coalesce(cur.anonymous, prev.anonymous) AS anonymous, ' +
    'coalesce(cur.person, prev.person) IN (SELECT user_id FROM held) AS held_now, ' +
    'coalesce(cur.person, prev.person) IN (SELECT user_id FROM was_held) AS held_then ' +
    'FROM cur FULL OUTER JOIN prev ON prev.person = cur.person), ' +
    `l AS (${linksOf(table, spec.customer, 'x')}) ` +
    `SELECT x.user_id, CAST(NULL AS varchar) AS audience, ${literal(spec.event)} AS event, ${literal(PREDICTION_GROUP)} AS grp, ` +
    'CASE WHEN x.held_now THEN NULL ELSE x.percentile END AS percentile, ' +
    'CASE WHEN x.held_now THEN NULL ELSE x.probability END AS probability, ' +
    'x.anonymous, CASE WHEN x.anonymous THEN l.uid END AS linked_user_id ' +
    'FROM x LEFT JOIN l ON l.aid = x.user_id ' +
    `WHERE ${spec.includeAnonymous ? '' : 'NOT x.anonymous AND '}(` +
    '(x.scored AND NOT x.held_now AND (NOT x.sent_before OR x.held_then OR x.decile IS DISTINCT FROM x.was_decile' +
    `${linkedSince})) ` +
    'OR (x.held_now AND x.sent_before AND NOT x.held_then))'
  );
}
