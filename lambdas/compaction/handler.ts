import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { powertoolsLogger } from '../../adapters/aws/powertools-logger';
import { S3RunFiles } from '../../adapters/aws/s3-run-files';
import { SqsObjectLog } from '../../adapters/aws/sqs-object-log';
import { systemClock } from '../../adapters/system/clock';
import { CompactionEnvSchema } from '../../domain/contract/environment';
import { ATHENA_RESULTS_PREFIX } from '../../domain/contract/sql/athena-rules';
import { readEnv } from '../../domain/core/common/read-env';
import { createCompactionHandler } from './create-compaction-handler';

const env = readEnv(CompactionEnvSchema, process.env);

/** The compaction steps' composition root: configuration checked once, at cold start. */
export const handler = createCompactionHandler({
  log: new SqsObjectLog(new SQSClient({}), env.OBJECT_LOG_URL),
  files: new S3RunFiles(new S3Client({}), env.LAKE_BUCKET, env.RESULTS_BUCKET, ATHENA_RESULTS_PREFIX),
  lakeBucket: env.LAKE_BUCKET,
  database: env.DATABASE,
  logger: powertoolsLogger('compaction').logger,
  clock: systemClock,
});
