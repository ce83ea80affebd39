import { AthenaClient } from '@aws-sdk/client-athena';
import * as v from 'valibot';
import { IntentEnvSchema } from '../../domain/contract/environment';
import { prepareIntent } from './create-intent-prepare-handler';

// Composition root: the environment read once, at cold start.
const env = v.parse(IntentEnvSchema, process.env);
const athena = new AthenaClient({});

/** Step 1 of the intent state machine: the dates, the features, the UNLOAD statements. */
export const handler = (input: unknown) =>
  prepareIntent(input, { athena, workgroup: env.WORKGROUP, database: env.DATABASE }, env.LAKE_BUCKET);
