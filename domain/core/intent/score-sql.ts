import { SCORES_COLUMNS } from '../../contract/curated-table';
import { sqlDouble } from './models';

/**
 * Percentile cohorts in an engine that scores every user (Athena on AWS): the 99 cut points of the
 * probabilities at 1 %, 2 %, … 99 % (`approx_percentile`, computed in parallel, its rank error well
 * under a percentile), and each user's percentile is the share of cut points below its probability —
 * Segment's convention (0.8: the top 20 %), to the percent. An exact rank would need one node to sort
 * every user (a window without a partition); see docs/decisions/0004-scoring-in-athena.md.
 */
const PERCENTILE_CUTS = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

/**
 * The scores of every user the features query yields, in the columns of the scores table
 * (SCORES_COLUMNS): the model's probability (`Model.sql`), its percentile and decile (1: the top 10 %).
 */
export function athenaScoresSql(featuresSelect: string, probability: string): string {
  const below = 'cardinality(filter(q.cuts, c -> c < s.probability))';
  const columns: Record<(typeof SCORES_COLUMNS)[number]['name'], string> = {
    user_id: 's.user_id',
    anonymous_id: 's.anonymous_id',
    person: 's.person',
    probability: 's.probability',
    percentile: `CAST(${below} AS double) / 100`,
    decile: `CAST(10 - floor(${below} / 10) AS integer)`,
    // Not computed by Athena yet: TreeSHAP for a whole ensemble does not fit one statement.
    reasons: 'CAST(NULL AS varchar)',
  };
  return (
    `WITH f AS (${featuresSelect}), ` +
    `s AS (SELECT person, user_id, anonymous_id, ${probability} AS probability FROM f), ` +
    `q AS (SELECT approx_percentile(probability, ARRAY[${PERCENTILE_CUTS.map(sqlDouble).join(', ')}]) AS cuts FROM s) ` +
    `SELECT ${SCORES_COLUMNS.map((c) => `${columns[c.name]} AS ${c.name}`).join(', ')} FROM s CROSS JOIN q`
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
