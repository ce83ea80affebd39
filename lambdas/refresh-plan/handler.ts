import { S3Client } from '@aws-sdk/client-s3';
import * as v from 'valibot';
import { s3ObjectStore } from '../../adapters/aws/s3-objects';
import { RefreshEnvSchema } from '../../domain/contract/environment';
import { planRefresh } from './create-refresh-plan-handler';

// Composition root: the environment read once, at cold start.
const env = v.parse(RefreshEnvSchema, process.env);
const objects = s3ObjectStore(new S3Client({}));

/** The weekly refresh's first step: the predictions due and the customers with audiences. */
export const handler = () => planRefresh({ objects, bucket: env.LAKE_BUCKET, now: () => new Date() });
