import { SCORES_COLUMNS } from '../../contract/curated-table';
import { identifier, literal } from '../../contract/sql/sql-text';
import { type ContributionsSql, sqlDouble } from './models';
import { REASONS_PER_PERSON } from './reasons';

/**
 * Percentile cohorts in an engine that scores every user (Athena on AWS): the 99 cut points of the
 * probabilities at 1 %, 2 %, … 99 % (`approx_percentile`, computed in parallel, its rank error well
 * under a percentile), and each user's percentile is the share of cut points below its probability —
 * Segment's convention (0.8: the top 20 %), to the percent. An exact rank would need one node to sort
 * every user (a window without a partition); see docs/decisions/0004-scoring-in-athena.md.
 */
const PERCENTILE_CUTS = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

/** How the scoring engine explains each person: the chosen model's contributions, in SQL. */
export interface ScoringReasons {
  /** The feature columns, in the model's order. */
  columns: readonly string[];
  /** `Model.contributionsSql` of the chosen model. */
  contributions: (feature: (j: number) => string) => ContributionsSql;
  /** The rows (`tree`, `code`, `feature`, `share`) of this run's table of shares, for trees. */
  sharesSelect: string;
}

/**
 * The scores of every user the features query yields, in the columns of the scores table
 * (SCORES_COLUMNS): the model's probability (`Model.sql`), its percentile and decile (1: the top 10 %),
 * and the person's reasons — their shares (`Model.contributions`) as rows, one per person and feature
 * (the regression: one expression a feature; the trees: each person's decision code in each tree,
 * joined with the run's table of shares), summed by feature, and the three strongest, either way, as
 * JSON text, as `topReasons` (reasons.ts) picks them.
 *
 * The features are computed twice, as before reasons: once for the scores and their reasons, once for
 * the percentiles' cut points (Athena does not keep a WITH query's rows for its second reader).
 */
export function athenaScoresSql(
  featuresSelect: string,
  probability: string,
  reasons: ScoringReasons,
): string {
  const below = 'cardinality(filter(q.cuts, c -> c < r.probability))';
  const columns: Record<(typeof SCORES_COLUMNS)[number]['name'], string> = {
    user_id: 'r.user_id',
    anonymous_id: 'r.anonymous_id',
    person: 'r.person',
    probability: 'r.probability',
    percentile: `CAST(${below} AS double) / 100`,
    decile: `CAST(10 - floor(${below} / 10) AS integer)`,
    reasons: `'[' || coalesce(r.reasons, '') || ']'`,
  };
  const vector = `ARRAY[${reasons.columns.map((c) => `CAST(coalesce(${identifier(c)}, 0) AS double)`).join(', ')}]`;
  const explained = reasons.contributions((j) => `s.v[${j + 1}]`);
  const shares =
    explained.kind === 'terms'
      ? `SELECT s.person, s.user_id, s.anonymous_id, s.probability, t.feature, s.v[t.feature] AS value, t.share FROM s CROSS JOIN UNNEST(ARRAY[${explained.terms.join(', ')}]) WITH ORDINALITY AS t (share, feature)`
      : // LEFT: a person whose trees all land where no feature has a share is still scored.
        `SELECT s.person, s.user_id, s.anonymous_id, s.probability, l.feature, s.v[l.feature] AS value, l.share FROM s CROSS JOIN UNNEST(ARRAY[${explained.codes.join(', ')}]) WITH ORDINALITY AS t (code, tree) LEFT JOIN (${reasons.sharesSelect}) l ON l.tree = t.tree AND l.code = t.code`;
  // A reason as JSON text: the feature's name (JSON-quoted here, once), its value and its share.
  const names = `ARRAY[${reasons.columns.map((c) => literal(JSON.stringify(c))).join(', ')}]`;
  const reason = `'{"feature":' || ${names}[g.feature] || ',"value":' || CAST(g.value AS varchar) || ',"contribution":' || CAST(g.share AS varchar) || '}'`;
  return (
    `WITH f AS (${featuresSelect}), ` +
    `s AS (SELECT person, user_id, anonymous_id, ${probability} AS probability, ${vector} AS v FROM f), ` +
    `e AS (${shares}), ` +
    `g AS (SELECT person, arbitrary(user_id) AS user_id, arbitrary(anonymous_id) AS anonymous_id, arbitrary(probability) AS probability, feature, arbitrary(value) AS value, round(sum(share), 6) AS share FROM e GROUP BY person, feature), ` +
    `r AS (SELECT g.person, arbitrary(g.user_id) AS user_id, arbitrary(g.anonymous_id) AS anonymous_id, arbitrary(g.probability) AS probability, array_join(slice(array_agg(${reason} ORDER BY abs(g.share) DESC, ${names}[g.feature]) FILTER (WHERE g.feature IS NOT NULL AND g.share <> 0), 1, ${REASONS_PER_PERSON}), ',') AS reasons FROM g GROUP BY g.person), ` +
    `q AS (SELECT approx_percentile(probability, ARRAY[${PERCENTILE_CUTS.map(sqlDouble).join(', ')}]) AS cuts FROM s) ` +
    `SELECT ${SCORES_COLUMNS.map((c) => `${columns[c.name]} AS ${c.name}`).join(', ')} FROM r CROSS JOIN q`
  );
}

/**
 * The same scores where one machine holds everyone (DuckDB, `npm run intent`), from features that carry
 * each person's `reasons` (JSON text, computed in JavaScript beside the scoring): the exact percentile of
 * `percentileOf` — the share of users scoring strictly lower, `rank() − 1` over the count — and the
 * decile of `decileOf` (1: the top 10 %), highest probability first.
 */
export function duckdbScoresSql(featuresSelect: string, probability: string): string {
  const columns: Record<(typeof SCORES_COLUMNS)[number]['name'], string> = {
    user_id: 'user_id',
    anonymous_id: 'anonymous_id',
    person: 'person',
    probability: 'probability',
    percentile: 'CAST(rank() OVER (ORDER BY probability) - 1 AS DOUBLE) / count(*) OVER ()',
    decile:
      'CAST(least(10, floor((row_number() OVER (ORDER BY probability DESC, person) - 1) * 10 / count(*) OVER ()) + 1) AS INTEGER)',
    reasons: 'reasons',
  };
  return (
    `WITH f AS (${featuresSelect}), ` +
    `s AS (SELECT person, user_id, anonymous_id, reasons, ${probability} AS probability FROM f) ` +
    `SELECT ${SCORES_COLUMNS.map((c) => `${columns[c.name]} AS ${c.name}`).join(', ')} FROM s ORDER BY probability DESC, person`
  );
}
