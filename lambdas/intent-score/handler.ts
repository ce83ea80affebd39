import { S3Client } from '@aws-sdk/client-s3';
import * as v from 'valibot';
import { s3ObjectStore } from '../../adapters/aws/s3-objects';
import { IntentEnvSchema } from '../../domain/contract/environment';
import type { PreparedIntent } from '../../domain/core/intent/prepare-run';
import { finishIntent, removeFeatures, type TrainedIntent, trainIntent } from './create-intent-score-handler';

// Composition root: the environment read once, at cold start.
const env = v.parse(IntentEnvSchema, process.env);
const objects = s3ObjectStore(new S3Client({}));

/** The steps of the intent state machine this function runs, by `step`. */
type Step =
  | ({ step: 'train' } & PreparedIntent)
  | ({ step: 'finish' } & TrainedIntent)
  | { step: 'remove'; runId: string; scoresPrefix?: string };

/**
 * Step 3 of the intent state machine, train (the models, the scoring statement); step 5, finish (the
 * saved prediction, the features removed); and the catch of a failed run, remove.
 */
export const handler = (input: Step) => {
  switch (input.step) {
    case 'train':
      return trainIntent(input, objects, env.LAKE_BUCKET);
    case 'finish':
      return finishIntent(input, objects, env.LAKE_BUCKET, new Date());
    case 'remove':
      return removeFeatures(input, objects, env.LAKE_BUCKET);
  }
};
