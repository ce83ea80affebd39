import { Matrix, solve } from 'ml-matrix';

/** A trained model: a probability per row of features. */
export interface Model {
  name: string;
  predict(rows: number[][]): number[];
  /** For the report: features by how strongly they move the score, strongest first. */
  importance(): { feature: number; weight: number }[];
  /**
   * The same probability as one SQL expression over the feature columns (named in `columns` order), for
   * an engine to score every user where the features are (Athena on AWS, DuckDB locally); a missing
   * feature counts 0, as in the matrices.
   */
  sql(columns: readonly string[]): string;
}

/** A number as a SQL DOUBLE literal (exponent form: `0.5` alone is a DECIMAL in Trino), exact to the bit. */
export function sqlDouble(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return x.toExponential().toUpperCase();
}

/** A feature column in SQL, 0 when missing. */
export const sqlFeature = (column: string) => `coalesce("${column.replace(/"/g, '""')}", 0)`;

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
 * intercept nor a penalty, and runs 50,000 fixed gradient steps.
 */
export function trainLogistic(rows: number[][], labels: number[], lambda = 1): Model {
  const scale = standardizer(rows);
  const X = new Matrix(rows.map((r) => [1, ...scale(r)]));
  const y = Matrix.columnVector(labels);
  const d = X.columns;
  let w = Matrix.zeros(d, 1);
  const penalty = Matrix.eye(d, d).mul(lambda);
  penalty.set(0, 0, 0);
  for (let iteration = 0; iteration < 50; iteration++) {
    const p = X.mmul(w)
      .to1DArray()
      .map((z) => 1 / (1 + Math.exp(-z)));
    const weights = p.map((q) => Math.max(q * (1 - q), 1e-9));
    // Gradient of the penalized log-likelihood and its Hessian.
    const gradient = X.transpose()
      .mmul(y.clone().sub(Matrix.columnVector(p)))
      .sub(penalty.mmul(w));
    const weighted = X.clone();
    for (let i = 0; i < X.rows; i++)
      for (let j = 0; j < d; j++) weighted.set(i, j, X.get(i, j) * weights[i]!);
    const hessian = X.transpose().mmul(weighted).add(penalty);
    const step = solve(hessian, gradient);
    w = w.add(step);
    if (Math.max(...step.to1DArray().map(Math.abs)) < 1e-8) break;
  }
  const coefficients = w.to1DArray();
  return {
    name: 'logistic regression (L2)',
    predict: (input) =>
      input.map((r) => {
        const z = scale(r).reduce((s, x, j) => s + x * coefficients[j + 1]!, coefficients[0]!);
        return 1 / (1 + Math.exp(-z));
      }),
    importance: () =>
      coefficients
        .slice(1)
        .map((weight, feature) => ({ feature, weight }))
        .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)),
    // The z-scores written out as predict computes them: ((x − mean) / sd) × w, summed, then the logistic.
    sql: (columns) => {
      const terms = columns.map(
        (c, j) =>
          `((${sqlFeature(c)} - ${sqlDouble(scale.mean[j]!)}) / ${sqlDouble(scale.sd[j]!)}) * ${sqlDouble(coefficients[j + 1]!)}`,
      );
      return `1E0 / (1E0 + exp(-(${[sqlDouble(coefficients[0]!), ...terms].join(' + ')})))`;
    },
  };
}
