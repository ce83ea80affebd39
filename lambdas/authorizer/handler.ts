import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requestPathClientConfig } from '../../adapters/aws/clients';
import { DynamoTokenStore } from '../../adapters/aws/dynamo-token-store';
import { powertoolsLogger } from '../../adapters/aws/powertools-logger';
import { powertoolsMetrics } from '../../adapters/aws/powertools-metrics';
import { systemClock } from '../../adapters/system/clock';
import { TokensEnvSchema } from '../../domain/contract/environment';
import { REQUEST_PATH_LOGGING } from '../../domain/contract/logging';
import { STACK_NAME_VARIABLE } from '../../domain/contract/metrics';
import { Breaker } from '../../domain/core/common/breaker';
import { readEnv } from '../../domain/core/common/read-env';
import { AUTHORIZER_DEADLINE_MS } from '../../domain/core/ingest/request-deadline';
import { LastGoodVerdicts } from '../../domain/core/keys/authorize';
import { createAuthorizerHandler } from './create-authorizer-handler';

const log = powertoolsLogger('authorizer', { infoSampleRate: REQUEST_PATH_LOGGING.infoSampleRate });

/** The deployed authorizer: its composition root. Configuration is checked once, at cold start. */
export const handler = createAuthorizerHandler({
  tokens: new DynamoTokenStore(
    new DynamoDBClient(requestPathClientConfig()),
    readEnv(TokensEnvSchema, process.env).TOKENS_TABLE,
  ),
  logger: log.logger,
  middleware: [log.middleware],
  clock: systemClock,
  keyCheck: {
    deadlineMs: AUTHORIZER_DEADLINE_MS,
    breaker: new Breaker(systemClock),
    lastGood: new LastGoodVerdicts(),
  },
  metrics: powertoolsMetrics(
    'authorizer',
    process.env[STACK_NAME_VARIABLE],
    process.env.AWS_LAMBDA_FUNCTION_VERSION,
    { flushMs: REQUEST_PATH_LOGGING.metricsFlushMs },
  ),
});
