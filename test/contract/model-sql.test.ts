import { DuckDBInstance } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { SCORES_COLUMNS } from '../../domain/contract/curated-table';
import { ATHENA_RULES } from '../../domain/contract/sql/athena-rules';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { trainBoostedTrees } from '../../domain/core/intent/boosted-trees';
import { calibrated, clipped, featureBounds } from '../../domain/core/intent/calibration';
import { type Model, sqlDouble, trainLogistic } from '../../domain/core/intent/models';
import { type Reason, topReasons } from '../../domain/core/intent/reasons';
import { athenaScoresSql, duckdbScoresSql } from '../../domain/core/intent/score-sql';
import { decileOf, percentileOf } from '../support/reference-models';

/**
 * A model scores every user where the features are by its SQL (Athena on AWS): the expression must give
 * the probability `predict` gives, to the last bits. DuckDB evaluates it here; Trino's grammar parses it.
 */
const COLUMNS = [
  'page_pricing',
  'trait_company_size_51_200',
  'key_productviewed',
  'key_buttonclicked',
  'noise',
];

function population(users: number, seed: number) {
  const random = seededRandom(seed);
  const rows = Array.from({ length: users }, () => [
    Math.floor(random() * 6),
    random() < 0.33 ? 1 : 0,
    Math.floor(random() * 9),
    Math.floor(random() * 4),
    Math.floor(random() * 10),
  ]);
  // An interaction and an additive part, so both models have something to find.
  const labels = rows.map((x) =>
    random() < 1 / (1 + Math.exp(-(-3 + 0.4 * x[0]! * (x[1]! ? 2 : 0.5) + 0.2 * x[2]!))) ? 1 : 0,
  );
  return { rows, labels };
}

describe('a model as SQL, against its own predictions', () => {
  let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;
  const train = population(6_000, 1);
  const score = population(400, 2);
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    const values = score.rows.map((r, i) => `(${i}, ${r.join(', ')})`).join(', ');
    await duck.run(`CREATE TABLE f AS SELECT * FROM (VALUES ${values}) AS t(i, ${COLUMNS.join(', ')})`);
  });
  afterAll(() => duck.closeSync());

  const inSql = async (model: Model) =>
    (await duck.runAndReadAll(`SELECT ${model.sql(COLUMNS)} AS p FROM f ORDER BY i`))
      .getRowObjects()
      .map((r) => Number(r.p));

  it.each([
    ['logistic regression', () => trainLogistic(train.rows, train.labels)],
    ['gradient-boosted trees', () => trainBoostedTrees(train.rows, train.labels, { rounds: 40 })],
    // As a run scores: clipped to the training range (a scored value beyond it is the edge), calibrated.
    [
      'logistic regression, clipped and calibrated',
      () =>
        calibrated(
          clipped(trainLogistic(train.rows, train.labels), featureBounds(train.rows.slice(0, 300))),
          { slope: 0.8, intercept: -0.3 },
        ),
    ],
    [
      'gradient-boosted trees, calibrated',
      () =>
        calibrated(trainBoostedTrees(train.rows, train.labels, { rounds: 40 }), {
          slope: 1.2,
          intercept: 0.1,
        }),
    ],
  ])('%s: the SQL gives predict’s probabilities', async (_name, trainModel) => {
    const model = trainModel();
    const expected = model.predict(score.rows);
    const got = await inSql(model);
    const worst = Math.max(...got.map((p, i) => Math.abs(p - expected[i]!) / expected[i]!));
    expect(worst).toBeLessThan(1e-12);
    expect(new Set(got).size).toBeGreaterThan(10);
  });

  it('counts a missing feature as 0, as the matrices do', async () => {
    const model = trainBoostedTrees(train.rows, train.labels, { rounds: 40 });
    const [row] = (
      await duck.runAndReadAll(
        `SELECT ${model.sql(COLUMNS)} AS p FROM (SELECT NULL AS page_pricing, NULL AS trait_company_size_51_200, NULL AS key_productviewed, NULL AS key_buttonclicked, NULL AS noise)`,
      )
    ).getRowObjects();
    expect(Number(row!.p)).toBeCloseTo(model.predict([[0, 0, 0, 0, 0]])[0]!, 12);
  });

  it('parses in Trino, and 200 trees of depth 3 (the most boosting grows) stay under half of Athena’s query size', () => {
    const trino = new TrinoSQL();
    const trees = trainBoostedTrees(train.rows, train.labels);
    expect(trees.settings).toEqual({ trees: 200 });
    for (const model of [
      calibrated(clipped(trainLogistic(train.rows, train.labels), featureBounds(train.rows)), {
        slope: 1,
        intercept: 0,
      }),
      calibrated(trees, { slope: 1, intercept: 0 }),
    ]) {
      const sql = `SELECT ${model.sql(COLUMNS)} AS probability FROM "db"."features"`;
      expect(trino.validate(sql)).toEqual([]);
      expect(Buffer.byteLength(sql)).toBeLessThan(ATHENA_RULES.queryStringBytes.limit / 2);
    }
  });

  /** Athena's scoring statement run by DuckDB: Athena's functions by DuckDB's names. */
  const athenaInDuckdb = async (model: Model) => {
    const explained = model.contributionsSql((j) => String(j));
    await duck.run(
      'CREATE OR REPLACE TABLE shares (tree INTEGER, code INTEGER, feature INTEGER, share DOUBLE)',
    );
    if (explained.kind === 'table' && explained.shares.length > 0)
      await duck.run(
        `INSERT INTO shares VALUES ${explained.shares.map((r) => `(${r.tree}, ${r.code}, ${r.feature}, ${sqlDouble(r.share)})`).join(', ')}`,
      );
    const sql = athenaScoresSql(
      `SELECT CAST(i AS varchar) AS person, CAST(i AS varchar) AS user_id, NULL AS anonymous_id, * FROM f`,
      model.sql(COLUMNS),
      { columns: COLUMNS, contributions: model.contributionsSql, sharesSelect: 'SELECT * FROM shares' },
    );
    expect(new TrinoSQL().validate(sql)).toEqual([]);
    // The exact quantiles stand in for the approximate ones.
    const duckSql = sql
      .replace('approx_percentile(', 'quantile_disc(')
      .replace(/cardinality\(/g, 'len(')
      .replace(/array_join\(slice\(/g, 'array_to_string(trino_slice(');
    await duck.run('CREATE OR REPLACE MACRO trino_slice(a, s, n) AS list_slice(a, s, s + n - 1)');
    return (await duck.runAndReadAll(`${duckSql} ORDER BY CAST(person AS integer)`)).getRowObjects();
  };

  it('gives every scored user its percentile cohort and decile, to the percent (the Athena scoring statement)', async () => {
    const model = trainBoostedTrees(train.rows, train.labels, { rounds: 40 });
    const rows = await athenaInDuckdb(model);
    const probability = rows.map((r) => Number(r.probability));
    const exact = percentileOf(probability);
    expect(Object.keys(rows[0]!)).toEqual(SCORES_COLUMNS.map((c) => c.name));
    for (const [i, r] of rows.entries()) {
      expect(Math.abs(Number(r.percentile) - exact[i]!)).toBeLessThanOrEqual(0.011);
      expect(Number(r.decile)).toBe(10 - Math.floor(Math.round(Number(r.percentile) * 100) / 10));
    }
    expect(new Set(rows.map((r) => Number(r.decile)))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });

  it.each([
    [
      'gradient-boosted trees (TreeSHAP, joined by decision code)',
      () =>
        calibrated(trainBoostedTrees(train.rows, train.labels, { rounds: 40 }), {
          slope: 0.9,
          intercept: 0.1,
        }),
    ],
    [
      'logistic regression, clipped and calibrated (coefficient × value)',
      () =>
        calibrated(
          clipped(trainLogistic(train.rows, train.labels), featureBounds(train.rows.slice(0, 300))),
          {
            slope: 1.2,
            intercept: -0.3,
          },
        ),
    ],
  ])("gives every person the reasons JavaScript gives them: %s, in Athena's statement", async (_, make) => {
    const model = make();
    const rows = await athenaInDuckdb(model);
    const expected = model
      .contributions(score.rows)
      .map((shares, i) => topReasons(COLUMNS, score.rows[i]!, shares));
    expect(rows).toHaveLength(score.rows.length);
    let compared = 0;
    for (const [i, r] of rows.entries()) {
      const got = JSON.parse(String(r.reasons)) as Reason[];
      const want = expected[i]!;
      // The sums' order differs (rows, not trees): a share at a rounding edge may differ by 1e-6.
      expect(got.map((g) => g.feature)).toEqual(want.map((w) => w.feature));
      got.forEach((g, k) => {
        expect(g.value).toBe(want[k]!.value);
        expect(Math.abs(g.contribution - want[k]!.contribution)).toBeLessThanOrEqual(2e-6);
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(score.rows.length * 2);
  });

  it('scores locally with the exact percentile and decile the reference functions give', async () => {
    const model = trainLogistic(train.rows, train.labels);
    const sql = duckdbScoresSql(
      `SELECT CAST(i AS varchar) AS person, CAST(i AS varchar) AS user_id, NULL AS anonymous_id, '[]' AS reasons, * FROM f`,
      model.sql(COLUMNS),
    );
    const rows = (await duck.runAndReadAll(sql)).getRowObjects();
    expect(Object.keys(rows[0]!)).toEqual(SCORES_COLUMNS.map((c) => c.name));
    const probability = rows.map((r) => Number(r.probability));
    expect(rows.map((r) => Number(r.percentile))).toEqual(percentileOf(probability));
    // Highest first, so decileOf's order (by score, then by position) is the rows' order.
    expect(rows.map((r) => Number(r.decile))).toEqual(decileOf(probability));
  });

  it('writes numbers as exact DOUBLE literals', () => {
    for (const x of [0.1, -1 / 3, 1e-300, 123456789.123, 5e-324]) expect(Number(sqlDouble(x))).toBe(x);
    expect(sqlDouble(0.5)).toBe('5E-1');
    expect(() => sqlDouble(Number.NaN)).toThrow();
  });
});
