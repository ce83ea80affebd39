import { S3Client } from '@aws-sdk/client-s3';
import * as v from 'valibot';
import { IntentEnvSchema } from '../../domain/contract/environment';
import type { PreparedIntent } from '../intent-prepare/create-intent-prepare-handler';
import { removeFeatures, scoreIntent } from './create-intent-score-handler';

// Composition root: the environment read once, at cold start.
const env = v.parse(IntentEnvSchema, process.env);
const s3 = new S3Client({});

/**
 * Step 3 of the intent state machine: train, validate, score, write the scores; or, given only
 * `{runId}` (the state machine's catch), remove a failed run's features.
 */
export const handler = (input: PreparedIntent | { runId: string }) =>
  'unloads' in input
    ? scoreIntent(input, s3, env.LAKE_BUCKET, new Date())
    : removeFeatures(input, s3, env.LAKE_BUCKET);
