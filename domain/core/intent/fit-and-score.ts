import { seededRandom } from '../common/seeded-random';
import { trainBoostedTrees } from './boosted-trees';
import { calibrated, clipped, featureBounds, fitPlatt, type Platt } from './calibration';
import {
  auc,
  type DecileRow,
  deciles,
  logLoss,
  type ModelQuality,
  modelQuality,
  rocCurve,
} from './model-quality';
import { type Model, trainLogistic } from './models';
import { featureInWords } from './reasons';
import { type ExpectedScores, expectedScores } from './score-check';
import { type CutoffSlices, dealSlices, SLICES, type SliceName } from './slices';

/**
 * Conversions (and non-conversions) each slice needs at least: the training slice 40 — with fewer, a
 * model learns chance and would be presented as a result — the slices that calibrate and report 15
 * each (an AUC's standard error at 15 converters is ~0.07: the report says how many there were), and
 * the stop slice, which only says when to stop, 10.
 */
const MIN_POSITIVES: Record<SliceName, number> = { training: 40, stop: 10, calibration: 15, report: 15 };

/**
 * The regression's penalties tried, each judged by the stop slice's log loss: from nearly none to
 * strong (the features are z-scores, so one grid fits every customer).
 */
const LAMBDAS = [0.1, 1, 10, 100];

/** Two models' calibrated log losses closer than this are a tie, which the AUC breaks. */
const LOG_LOSS_TIE = 1e-4;

/** Feature rows (in `columns` order) and their labels (1: converted within the horizon). */
interface LabelledRows {
  rows: number[][];
  labels: number[];
}

/** @internal */
export interface FitInput {
  columns: string[];
  /** Each slice's users (slices.ts): training, stop, calibration and report, in time order. */
  slices: Record<SliceName, LabelledRows>;
  /** Which cutoff held which slices, for the report. */
  cutoffs: CutoffSlices[];
  /** The report shares its cutoff with the calibration: the grade is at most Fair. */
  shortHistory: boolean;
  /** Rows a model trains on at most (a seeded sample above). */
  maxUsers: number;
  seed: number;
}

/** What a fit gives: the models' comparison, the chosen model's quality, and the chosen model, calibrated. */
export type FittedModel = FitResult & { final: Model };

export interface FitResult {
  /** Users the models trained on, and how many there were when a sample was drawn. */
  training: { users: number; converted: number; sampledFrom?: number };
  /** The report slice: the users every figure below is measured on. */
  validation: { users: number; converted: number };
  /** Every slice: its cutoff, its users and converters. */
  slices: { name: SliceName; cutoff: string; users: number; converted: number }[];
  /** Each model on the calibration slice, calibrated: its log loss (which chose) and AUC. */
  models: { name: string; auc: number; logLoss: number; settings?: Record<string, number> }[];
  chosen: string;
  /** The chosen model's AUC on the report slice. */
  validationAuc: number;
  /** The chosen model on the report slice: AUC, log loss, lift quality, calibration and the grade. */
  quality: ModelQuality;
  /** Platt's calibration of the chosen model, fitted on the calibration slice. */
  calibration: Platt;
  /** Why the grade is capped, when it is. */
  caveat?: string;
  featureCount: number;
  /** Deciles of the report slice: lift, and predicted against observed (the reliability diagram). */
  deciles: DecileRow[];
  roc: { fpr: number; tpr: number }[];
  strongest: { feature: string; weight: number; words: string }[];
  /** How the report slice's probabilities spread: the scoring at `asOf` is checked against it. */
  expectedScores: ExpectedScores;
}

/**
 * The modelling of intent scores, the same locally (`npm run intent`) and on AWS (the training
 * function), on four slices of users in time order (slices.ts): a logistic regression (its penalty
 * chosen on `stop`) and boosted trees (stopped early on `stop`) trained on `training`; each calibrated
 * on `calibration` (Platt), where the lower calibrated log loss chooses (AUC breaks a tie); the chosen
 * one measured on `report`, which chooses nothing. `final` is that model, clipped to the training
 * range and calibrated, as measured: an engine scores every user with its SQL (`final.sql`: DuckDB
 * locally, Athena on AWS).
 *
 * @internal
 */
export function fitModel(input: FitInput): FittedModel {
  const { slices } = input;
  const count = (labels: number[]) => labels.reduce((a, b) => a + b, 0);
  for (const name of SLICES) {
    const set = slices[name];
    const converted = count(set.labels);
    const at = input.cutoffs.find((c) => c.slices.includes(name))?.cutoff;
    if (converted < MIN_POSITIVES[name] || set.labels.length - converted < MIN_POSITIVES[name])
      throw new Error(
        `the ${name} slice${at ? ` (cutoff ${at})` : ''} has ${set.labels.length} eligible users and ${converted} conversions: a model needs at least ${MIN_POSITIVES[name]} of each there (a longer history, a longer --horizon, or another --as-of)`,
      );
  }
  const train = sampleLabelled(slices.training, input.maxUsers, input.seed);
  const { stop, calibration, report } = slices;
  const bounds = featureBounds(train.rows);
  const candidates: Model[] = [
    // The penalty whose model predicts the stop slice best; clipped, so a scoring-date value beyond
    // the training range is not extrapolated.
    clipped(
      LAMBDAS.map((lambda) => trainLogistic(train.rows, train.labels, lambda))
        .map((model) => ({ model, loss: logLoss(model.predict(stop.rows), stop.labels) }))
        .reduce((a, b) => (b.loss < a.loss ? b : a)).model,
      bounds,
    ),
    // Trees need no clipping: every threshold lies inside the training range.
    trainBoostedTrees(train.rows, train.labels, { stop }),
  ];
  const results = candidates.map((model) => {
    const platt = fitPlatt(model.margin(calibration.rows), calibration.labels);
    const fitted = calibrated(model, platt);
    const probabilities = fitted.predict(calibration.rows);
    return {
      model: fitted,
      platt,
      auc: auc(probabilities, calibration.labels),
      logLoss: logLoss(probabilities, calibration.labels),
    };
  });
  const best = results.reduce((a, b) =>
    b.logLoss < a.logLoss - LOG_LOSS_TIE || (Math.abs(b.logLoss - a.logLoss) <= LOG_LOSS_TIE && b.auc > a.auc)
      ? b
      : a,
  );
  const scores = best.model.predict(report.rows);
  const measured = modelQuality(scores, report.labels);
  const capped = input.shortHistory && (measured.grade === 'Good' || measured.grade === 'Excellent');
  const quality: ModelQuality = capped ? { ...measured, grade: 'Fair' } : measured;
  const sliceRows = input.cutoffs.flatMap(({ cutoff, slices: names }) =>
    names.map((name) => ({
      name,
      cutoff,
      users: slices[name].labels.length,
      converted: count(slices[name].labels),
    })),
  );
  return {
    final: best.model,
    training: {
      users: train.labels.length,
      converted: count(train.labels),
      ...(slices.training.labels.length > train.labels.length
        ? { sampledFrom: slices.training.labels.length }
        : {}),
    },
    validation: { users: report.labels.length, converted: count(report.labels) },
    slices: sliceRows,
    models: results.map((r) => ({
      name: r.model.name,
      auc: r.auc,
      logLoss: r.logLoss,
      ...(r.model.settings ? { settings: r.model.settings } : {}),
    })),
    chosen: best.model.name,
    validationAuc: measured.auc,
    quality,
    calibration: best.platt,
    ...(input.shortHistory
      ? {
          caveat: `short history: the report shares its cutoff (${sliceRows.find((r) => r.name === 'report')?.cutoff}) with the calibration, so the grade is at most Fair${capped ? ` (measured ${measured.grade})` : ''}; with a look-back and three horizons of history before that date, each slice has a date of its own`,
        }
      : {}),
    featureCount: input.columns.length,
    deciles: deciles(scores, report.labels),
    roc: rocCurve(scores, report.labels),
    strongest: best.model
      .importance()
      .slice(0, 5)
      .map(({ feature, weight }) => ({
        feature: input.columns[feature]!,
        weight,
        words: inWords(input.columns[feature]!, weight, best.model.name),
      })),
    expectedScores: expectedScores(scores),
  };
}

/** A feature row as an engine returns it: the person, the feature columns, the label. */
type FeatureRow = Record<string, unknown>;

/**
 * The fit of a planned run from its feature rows, one set per cutoff (in `plan.cutoffs` order): each
 * set dealt into its slices by person (slices.ts), each row a vector in `plan.columns` order (a missing
 * feature counts 0) with its label — the same locally and on AWS.
 */
export function fitPlanned(
  plan: { columns: string[]; cutoffs: CutoffSlices[]; shortHistory: boolean },
  sets: readonly FeatureRow[][],
  options: { maxUsers: number; seed: number },
): FittedModel {
  const dealt = dealSlices(plan.cutoffs, sets);
  const labelled = (rows: FeatureRow[]): LabelledRows => ({
    rows: rows.map((r) => plan.columns.map((c) => Number(r[c] ?? 0))),
    labels: rows.map((r) => Number(r.label ?? 0)),
  });
  return fitModel({
    columns: plan.columns,
    slices: {
      training: labelled(dealt.training),
      stop: labelled(dealt.stop),
      calibration: labelled(dealt.calibration),
      report: labelled(dealt.report),
    },
    cutoffs: plan.cutoffs,
    shortHistory: plan.shortHistory,
    ...options,
  });
}

function sampleLabelled(data: LabelledRows, max: number, seed: number): LabelledRows {
  const picked = sampleRows(
    data.rows.map((row, i) => ({ row, label: data.labels[i]! })),
    max,
    seed,
  );
  return { rows: picked.map((p) => p.row), labels: picked.map((p) => p.label) };
}

/** At most `max` rows, a seeded sample when there are more (the same run picks the same users). */
function sampleRows<T>(rows: T[], max: number, seed: number): T[] {
  if (rows.length <= max) return rows;
  const random = seededRandom(seed);
  const copy = [...rows];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, max);
}

/** A feature's effect in words: "more views of the page /pricing → more likely (odds ×2.1 per standard deviation)". */
function inWords(feature: string, weight: number, kind: string): string {
  const what = featureInWords(feature);
  const direction = weight > 0 ? 'more likely' : 'less likely';
  const size = kind.startsWith('logistic')
    ? `odds ×${Math.exp(Math.abs(weight)).toFixed(1)} per standard deviation`
    : `${Math.round(Math.abs(weight) * 100)} % of the trees' gain`;
  return `more ${what} → ${direction} (${size})`;
}
