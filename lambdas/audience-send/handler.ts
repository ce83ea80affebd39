import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as v from 'valibot';
import { s3ObjectStore } from '../../adapters/aws/s3-objects';
import { secretsManagerStore } from '../../adapters/aws/secrets';
import { AudienceEnvSchema } from '../../domain/contract/environment';
import { sendShard, WRITE_KEY_CACHE_SECONDS } from './create-audience-send-handler';

// Composition root: the environment read once, at cold start.
const env = v.parse(AudienceEnvSchema, process.env);
const deps = {
  objects: s3ObjectStore(new S3Client({})),
  secrets: secretsManagerStore(new SecretsManagerClient({}), WRITE_KEY_CACHE_SECONDS),
  writeKeySecretPrefix: env.WRITE_KEY_SECRET_PREFIX,
  host: env.SEGMENT_HOST,
};

/** The sending Map's item: one file of changed users to Segment. */
export const handler = (input: unknown) => sendShard(input, deps);
