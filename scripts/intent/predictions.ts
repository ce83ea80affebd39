import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as v from 'valibot';
import { writeFileAtomic } from '../../adapters/local/atomic-file';
import {
  PREDICTIONS_PREFIX,
  type Prediction,
  PredictionSchema,
  predictionPath,
} from '../../domain/contract/predictions';
import { savedPrediction } from '../../domain/core/intent/refresh';
import type { IntentReport } from './run-intent';

/** Saves (or updates) the prediction a run answered, so `npm run intent -- refresh` can run it again. */
export function savePrediction(lakeRoot: string, report: IntentReport, ranAt: Date): Prediction {
  const file = join(lakeRoot, predictionPath(report.customer, report.eventKey));
  const previous = readPrediction(file);
  const prediction = savedPrediction(report, previous, ranAt);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(prediction, null, 2)}\n`);
  return prediction;
}

function readPrediction(file: string): Prediction | undefined {
  if (!existsSync(file)) return undefined;
  return v.parse(PredictionSchema, JSON.parse(readFileSync(file, 'utf8')));
}

/** Every saved prediction (of one customer, if given). */
export function listPredictions(lakeRoot: string, customer?: string): Prediction[] {
  const root = join(lakeRoot, PREDICTIONS_PREFIX);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter(
      (d) => d.startsWith('customer_id=') && (customer === undefined || d === `customer_id=${customer}`),
    )
    .flatMap((d) =>
      readdirSync(join(root, d))
        .filter((f) => f.endsWith('.json'))
        .map((f) => readPrediction(join(root, d, f))!),
    );
}
