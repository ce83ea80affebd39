import { seededRandom } from '../common/seeded-random';
import { trainBoostedTrees } from './boosted-trees';
import { auc, type DecileRow, deciles, type ModelQuality, modelQuality, rocCurve } from './model-quality';
import { type Model, trainLogistic } from './models';

/**
 * Conversions a cutoff needs at least, in training and in validation: with fewer, an AUC is noise (its
 * standard error at 50 positives is already ~0.04) and a model would be presented as a result when it
 * is chance.
 */
const MIN_POSITIVES = 50;

/** Feature rows (in `columns` order) and their labels (1: converted within the horizon). */
interface LabelledRows {
  rows: number[][];
  labels: number[];
}

export interface FitInput {
  columns: string[];
  /** At the training cutoff. */
  training: LabelledRows;
  /** At the validation cutoff, one horizon later. */
  validation: LabelledRows;
  /** Rows a model trains on at most (a seeded sample above). */
  maxUsers: number;
  seed: number;
}

/** What a fit gives: the models' comparison, the chosen model's quality, and the chosen kind retrained last. */
export type FittedModel = FitResult & { final: Model };

export interface FitResult {
  /** Users the models trained on, and how many there were when a sample was drawn. */
  training: { users: number; converted: number; sampledFrom?: number };
  validation: { users: number; converted: number };
  models: { name: string; auc: number }[];
  chosen: string;
  validationAuc: number;
  /** The chosen model on the validation cutoff: AUC, log loss, lift quality and the grade they give. */
  quality: ModelQuality;
  featureCount: number;
  deciles: DecileRow[];
  roc: { fpr: number; tpr: number }[];
  strongest: { feature: string; weight: number; words: string }[];
}

/**
 * The modelling of intent scores, the same locally (`npm run intent`) and on AWS (the training
 * function): two models trained at the training cutoff, compared by AUC at the validation cutoff (a
 * time split); the better kind retrained at the validation cutoff is `final`, and an engine scores every
 * user with its SQL (`final.sql`: DuckDB locally, Athena on AWS).
 */
export function fitModel(input: FitInput): FittedModel {
  const { training, validation } = input;
  const count = (labels: number[]) => labels.reduce((a, b) => a + b, 0);
  for (const [what, set] of [
    ['training', training],
    ['validation', validation],
  ] as const) {
    const converted = count(set.labels);
    if (converted < MIN_POSITIVES || set.labels.length - converted < MIN_POSITIVES)
      throw new Error(
        `the ${what} cutoff has ${set.labels.length} eligible users and ${converted} conversions: a model needs at least ${MIN_POSITIVES} of each to learn from (a longer history, a longer --horizon, or another --as-of)`,
      );
  }
  const train = sampleLabelled(training, input.maxUsers, input.seed);
  const candidates: [string, (rows: number[][], y: number[]) => Model][] = [
    ['logistic', (x, y) => trainLogistic(x, y)],
    // Trained on the whole sample, as the logistic regression is: linear in rows (boosted-trees.ts).
    ['trees', (x, y) => trainBoostedTrees(x, y)],
  ];
  const results = candidates.map(([kind, trainKind]) => {
    const model = trainKind(train.rows, train.labels);
    const scores = model.predict(validation.rows);
    return { kind, trainKind, model, scores, auc: auc(scores, validation.labels) };
  });
  const best = results.reduce((a, b) => (b.auc > a.auc ? b : a));
  const latest = sampleLabelled(validation, input.maxUsers, input.seed);
  const final = best.trainKind(latest.rows, latest.labels);
  return {
    final,
    training: {
      users: train.labels.length,
      converted: count(train.labels),
      ...(training.labels.length > train.labels.length ? { sampledFrom: training.labels.length } : {}),
    },
    validation: { users: validation.labels.length, converted: count(validation.labels) },
    models: results.map((r) => ({ name: r.model.name, auc: r.auc })),
    chosen: best.model.name,
    validationAuc: best.auc,
    quality: modelQuality(best.scores, validation.labels),
    featureCount: input.columns.length,
    deciles: deciles(best.scores, validation.labels),
    roc: rocCurve(best.scores, validation.labels),
    strongest: best.model
      .importance()
      .slice(0, 5)
      .map(({ feature, weight }) => ({
        feature: input.columns[feature]!,
        weight,
        words: inWords(input.columns[feature]!, weight, best.kind),
      })),
  };
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
  const what = feature.startsWith('page_')
    ? `views of the page /${feature.slice(5).replace(/_/g, '/')}`
    : feature.startsWith('key_')
      ? `"${feature.slice(4)}" events`
      : feature.replace(/_/g, ' ');
  const direction = weight > 0 ? 'more likely' : 'less likely';
  const size =
    kind === 'logistic'
      ? `odds ×${Math.exp(Math.abs(weight)).toFixed(1)} per standard deviation`
      : `${Math.round(Math.abs(weight) * 100)} % of the trees' gain`;
  return `more ${what} → ${direction} (${size})`;
}
