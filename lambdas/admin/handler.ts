import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoErasureLog } from '../../adapters/aws/dynamo-erasure-log';
import { DynamoTokenStore } from '../../adapters/aws/dynamo-token-store';
import { powertoolsLogger } from '../../adapters/aws/powertools-logger';
import { systemClock } from '../../adapters/system/clock';
import { AdminEnvSchema } from '../../domain/contract/environment';
import { readEnv } from '../../domain/core/common/read-env';
import { SEGMENT_ENABLE_URL } from '../../domain/core/onboarding/enable-link';
import { createAdminHandler } from './create-admin-handler';

const env = readEnv(AdminEnvSchema, process.env);
const log = powertoolsLogger('admin');

/** The deployed admin function: its composition root. Configuration is checked once, at cold start. */
export const handler = createAdminHandler({
  tokens: new DynamoTokenStore(new DynamoDBClient({}), env.TOKENS_TABLE),
  link: {
    slug: env.SEGMENT_SLUG,
    baseUrl: env.ENABLE_BASE_URL ?? SEGMENT_ENABLE_URL,
    redirectUrl: env.ENABLE_REDIRECT_URL,
  },
  logger: log.logger,
  middleware: [log.middleware],
  clock: systemClock,
  maxCustomers: env.MAX_CUSTOMERS === undefined ? undefined : Number(env.MAX_CUSTOMERS),
  // Listing needs no key: the audit holds hashes only.
  erasures: env.ERASURE_TABLE
    ? new DynamoErasureLog(
        new DynamoDBClient({}),
        env.ERASURE_TABLE,
        () => Promise.reject(new Error('the admin API never hashes')),
        () => systemClock.now(),
      )
    : undefined,
});
