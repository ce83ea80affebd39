import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as v from 'valibot';
import { DynamoTokenStore } from '../adapters/aws/dynamo-token-store';
import { SEGMENT_ENABLE_URL } from '../core/enable-link';
import { jsonLogger } from '../core/ports';
import { readEnv } from '../core/read-env';
import { createAdminHandler } from './create-admin-handler';

const AdminEnv = v.object({
  TOKENS_TABLE: v.pipe(v.string(), v.minLength(1)),
  SEGMENT_SLUG: v.pipe(v.string(), v.minLength(1)),
  ENABLE_REDIRECT_URL: v.pipe(v.string(), v.url()),
  ENABLE_BASE_URL: v.optional(v.pipe(v.string(), v.url()), SEGMENT_ENABLE_URL),
});

const env = readEnv(AdminEnv, process.env);

/** The deployed admin function: its composition root. Configuration is checked once, at cold start. */
export const handler = createAdminHandler({
  tokens: new DynamoTokenStore(new DynamoDBClient({}), env.TOKENS_TABLE),
  link: { slug: env.SEGMENT_SLUG, baseUrl: env.ENABLE_BASE_URL, redirectUrl: env.ENABLE_REDIRECT_URL },
  logger: jsonLogger('admin'),
});
