import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as v from 'valibot';
import { s3ObjectStore } from '../../adapters/aws/s3-objects';
import { secretsManagerStore } from '../../adapters/aws/secrets';
import { AudienceEnvSchema } from '../../domain/contract/environment';
import { runAudiences } from './create-audience-build-handler';

// Composition root: the environment read once, at cold start.
const env = v.parse(AudienceEnvSchema, process.env);
const deps = {
  athena: { athena: new AthenaClient({}), workgroup: env.WORKGROUP, database: env.DATABASE },
  objects: s3ObjectStore(new S3Client({})),
  // Only whether a write key exists (DescribeSecret): no value is read here, so none is cached.
  secrets: secretsManagerStore(new SecretsManagerClient({}), 0),
  bucket: env.LAKE_BUCKET,
  writeKeySecretPrefix: env.WRITE_KEY_SECRET_PREFIX,
  now: () => new Date(),
};

/** The audience state machine's Athena step: build, measure and diff a customer's audiences. */
export const handler = (input: unknown) => runAudiences(input, deps);
