import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretAuditKey } from '../../adapters/aws/audit-key';
import { DynamoErasureLog } from '../../adapters/aws/dynamo-erasure-log';
import { powertoolsLogger } from '../../adapters/aws/powertools-logger';
import { powertoolsGauge } from '../../adapters/aws/powertools-metrics';
import { S3EraseStore } from '../../adapters/aws/s3-erase-store';
import { systemClock } from '../../adapters/system/clock';
import { ErasureEnvSchema } from '../../domain/contract/environment';
import { STACK_NAME_VARIABLE } from '../../domain/contract/metrics';
import { ATHENA_RESULTS_PREFIX } from '../../domain/contract/sql/athena-rules';
import { readEnv } from '../../domain/core/common/read-env';
import { createEraseHandler } from './create-erasure-handler';

const env = readEnv(ErasureEnvSchema, process.env);
const log = new DynamoErasureLog(
  new DynamoDBClient({}),
  env.ERASURE_TABLE,
  secretAuditKey(new SecretsManagerClient({}), env.AUDIT_KEY_SECRET),
  () => systemClock.now(),
);

/** The erase steps' composition root: configuration checked once, at cold start. */
export const handler = createEraseHandler({
  store: new S3EraseStore(new S3Client({}), env.LAKE_BUCKET, env.RESULTS_BUCKET, ATHENA_RESULTS_PREFIX),
  log,
  database: env.DATABASE,
  bucket: env.LAKE_BUCKET,
  windowHours: Number(env.ERASE_WINDOW_HOURS),
  now: () => systemClock.now(),
  logger: powertoolsLogger('erasure').logger,
  reportOldestPending: (seconds) =>
    powertoolsGauge('erasure', process.env[STACK_NAME_VARIABLE])('OldestPendingDeleteSeconds', seconds),
});
