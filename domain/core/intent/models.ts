import { Matrix, solve } from 'ml-matrix';

/** A trained model: a probability per row of features. */
export interface Model {
  name: string;
  /** What training chose, for the report: the trees kept by early stopping, the regression's λ. */
  settings?: Record<string, number>;
  /** The log-odds of converting, per row. */
  margin(rows: number[][]): number[];
  /** The probability of converting, per row: the logistic of `margin`. */
  predict(rows: number[][]): number[];
  /** For the report: features by how strongly they move the score, strongest first. */
  importance(): { feature: number; weight: number }[];
  /**
   * Why each row scores as it does: each feature's share of the row's log-odds (its SHAP value —
   * TreeSHAP for the trees, coefficient × value for the regression), in the features' order. A row's
   * shares sum to its margin less `baseline`, the model's log-odds for an average user.
   */
  contributions(rows: number[][]): number[][];
  /** The log-odds the contributions start from: `margin = baseline + Σ contributions`. */
  baseline: number;
  /** The contributions in SQL, for an engine that explains every person (Athena): see ContributionsSql. */
  contributionsSql(feature: (j: number) => string): ContributionsSql;
  /** The log-odds as one SQL expression, each feature `j` written as `feature(j)`. */
  marginSql(feature: (j: number) => string): string;
  /**
   * The same probability as one SQL expression over the feature columns (named in `columns` order), for
   * an engine to score every user where the features are (Athena on AWS, DuckDB locally); a missing
   * feature counts 0, as in the matrices.
   */
  sql(columns: readonly string[]): string;
}

/**
 * How an engine computes `Model.contributions`:
 * - `terms`: one SQL expression per feature, its share (the regression: coefficient × z-score);
 * - `table`: one SQL expression per tree, the row's decision code at its splits, and a table of each
 *   tree's shares by code (the trees: TreeSHAP, tree-shap.ts), which the engine joins — written out as
 *   SQL, exact TreeSHAP would take a few KB a tree, over Athena's statement size for an ensemble.
 * Trees and features are numbered from 1, as SQL arrays are.
 */
export type ContributionsSql =
  | { kind: 'terms'; terms: string[] }
  | { kind: 'table'; codes: string[]; shares: ShareRow[] };

/** One row of a table of shares: tree `tree`'s share for `feature` when a row's decision code is `code`. */
interface ShareRow {
  tree: number;
  code: number;
  feature: number;
  share: number;
}

const logistic = (z: number) => 1 / (1 + Math.exp(-z));

/** A model from its log-odds, in JavaScript and in SQL: the probability is their logistic in both. */
export function modelOf(parts: Omit<Model, 'predict' | 'sql'>): Model {
  return {
    ...parts,
    predict: (rows) => parts.margin(rows).map(logistic),
    sql: (columns) => `1E0 / (1E0 + exp(-(${parts.marginSql((j) => sqlFeature(columns[j]!))})))`,
  };
}

/** A number as a SQL DOUBLE literal (exponent form: `0.5` alone is a DECIMAL in Trino), exact to the bit. */
export function sqlDouble(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return x.toExponential().toUpperCase();
}

/** A feature column in SQL, 0 when missing. */
const sqlFeature = (column: string) => `coalesce("${column.replace(/"/g, '""')}", 0)`;

/** z-scores from the training rows, so one regularization strength fits every feature. */
function standardizer(rows: number[][]) {
  const n = rows.length;
  const width = rows[0]?.length ?? 0;
  const mean = Array.from({ length: width }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const sd = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / n) || 1);
  const scale = (row: number[]) => row.map((x, j) => (x - mean[j]!) / sd[j]!);
  return Object.assign(scale, { mean, sd });
}

/**
 * Logistic regression with an L2 penalty (λ on every weight but the intercept), fitted by Newton's
 * method (iteratively reweighted least squares): a few dozen iterations of a features × features solve,
 * exact to 1e-8. Hand-written (with ml-matrix for the solve): ml-logistic-regression has neither an
 * intercept nor a penalty, and runs 50,000 fixed gradient steps. Each iteration costs
 * O(rows × features²): 50,000 rows of 40 features take well under a second.
 */
export function trainLogistic(rows: number[][], labels: number[], lambda = 1): Model {
  const scale = standardizer(rows);
  const X = rows.map((r) => [1, ...scale(r)]);
  const d = (X[0] ?? [1]).length;
  let w = Array.from({ length: d }, () => 0);
  for (let iteration = 0; iteration < 50; iteration++) {
    // Gradient of the penalized log-likelihood and its Hessian, the intercept unpenalized.
    const gradient = w.map((wj, j) => (j === 0 ? 0 : -lambda * wj));
    const hessian = Array.from({ length: d }, (_, j) =>
      Array.from({ length: d }, (_, k) => (j === k && j > 0 ? lambda : 0)),
    );
    for (let i = 0; i < X.length; i++) {
      const x = X[i]!;
      let z = 0;
      for (let j = 0; j < d; j++) z += x[j]! * w[j]!;
      const p = logistic(z);
      const residual = labels[i]! - p;
      const weight = Math.max(p * (1 - p), 1e-9);
      for (let j = 0; j < d; j++) {
        gradient[j] = gradient[j]! + x[j]! * residual;
        const row = hessian[j]!;
        const wx = weight * x[j]!;
        for (let k = j; k < d; k++) row[k] = row[k]! + wx * x[k]!;
      }
    }
    for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) hessian[j]![k] = hessian[k]![j]!;
    const step = solve(new Matrix(hessian), Matrix.columnVector(gradient)).to1DArray();
    w = w.map((wj, j) => wj + step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  const coefficients = w;
  return modelOf({
    name: 'logistic regression (L2)',
    settings: { lambda },
    margin: (input) =>
      input.map((r) => scale(r).reduce((s, x, j) => s + x * coefficients[j + 1]!, coefficients[0]!)),
    // The z-scores are centred on the training mean: each term is the feature's SHAP value (features
    // taken as independent), and the intercept is the average user's log-odds.
    contributions: (input) => input.map((r) => scale(r).map((x, j) => x * coefficients[j + 1]!)),
    baseline: coefficients[0]!,
    contributionsSql: (feature) => ({
      kind: 'terms',
      terms: coefficients
        .slice(1)
        .map(
          (w, j) =>
            `((${feature(j)} - ${sqlDouble(scale.mean[j]!)}) / ${sqlDouble(scale.sd[j]!)}) * ${sqlDouble(w)}`,
        ),
    }),
    importance: () =>
      coefficients
        .slice(1)
        .map((weight, feature) => ({ feature, weight }))
        .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)),
    // The z-scores written out as margin computes them: ((x − mean) / sd) × w, summed.
    marginSql: (feature) =>
      [
        sqlDouble(coefficients[0]!),
        ...coefficients
          .slice(1)
          .map(
            (w, j) =>
              `((${feature(j)} - ${sqlDouble(scale.mean[j]!)}) / ${sqlDouble(scale.sd[j]!)}) * ${sqlDouble(w)}`,
          ),
      ].join(' + '),
  });
}
