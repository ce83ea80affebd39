import { S3Client } from '@aws-sdk/client-s3';
import * as v from 'valibot';
import { RefreshEnvSchema } from '../../domain/contract/environment';
import { planRefresh } from './create-refresh-plan-handler';

// Composition root: the environment read once, at cold start.
const env = v.parse(RefreshEnvSchema, process.env);
const s3 = new S3Client({});

/** The weekly refresh's first step: the predictions due and the customers with audiences. */
export const handler = () => planRefresh({ s3, bucket: env.LAKE_BUCKET, now: () => new Date() });
