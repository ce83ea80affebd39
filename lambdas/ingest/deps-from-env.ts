import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MiddlewareObj } from '@middy/core';
import { secretAuditKey } from '../../adapters/aws/audit-key';
import { requestPathClientConfig } from '../../adapters/aws/clients';
import { DynamoErasureLog } from '../../adapters/aws/dynamo-erasure-log';
import { DynamoFairShareCounter } from '../../adapters/aws/dynamo-fair-share-counter';
import { FirehoseSink } from '../../adapters/aws/firehose-sink';
import { KinesisSink } from '../../adapters/aws/kinesis-sink';
import { powertoolsLogger } from '../../adapters/aws/powertools-logger';
import { powertoolsMetrics } from '../../adapters/aws/powertools-metrics';
import { ShardedSink } from '../../adapters/aws/sharded-sink';
import { systemClock } from '../../adapters/system/clock';
import { IngestEnvSchema } from '../../domain/contract/environment';
import { REQUEST_PATH_LOGGING } from '../../domain/contract/logging';
import { STACK_NAME_VARIABLE } from '../../domain/contract/metrics';
import { readEnv } from '../../domain/core/common/read-env';
import { DEFAULT_RETRY_POLICY } from '../../domain/core/ingest/deliver';
import { FairShare, fairShareSettings, reportUnavailable } from '../../domain/core/ingest/fair-share';
import type { IngestDeps } from '../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { INGEST_DEADLINE, ingestBreakers } from '../../domain/core/ingest/request-deadline';

/**
 * The ingest function's adapters on AWS, from its environment (set by lib/ingest-api.ts):
 * `DELIVERY=stream` with `STREAM_NAME` (Kinesis in front of Firehose, the default), or
 * `DELIVERY=direct` with `DELIVERY_STREAM_NAME` (Firehose Direct PUT).
 */
export function ingestDepsFromEnv(
  env: Record<string, string | undefined>,
): IngestDeps & { middleware: MiddlewareObj[] } {
  const { logger, middleware } = powertoolsLogger('ingest', {
    infoSampleRate: REQUEST_PATH_LOGGING.infoSampleRate,
  });
  const config = readEnv(IngestEnvSchema, env);
  // One client, shared by the shards' sinks.
  let shards: (KinesisSink | FirehoseSink)[];
  if (config.DELIVERY === 'stream') {
    const client = new KinesisClient(requestPathClientConfig());
    shards = names(config.STREAM_NAME).map((name) => new KinesisSink(client, name));
  } else {
    const client = new FirehoseClient(requestPathClientConfig());
    shards = names(config.DELIVERY_STREAM_NAME).map((name) => new FirehoseSink(client, name));
  }
  const sink = shards.length === 1 ? shards[0]! : new ShardedSink(shards);
  const metrics = powertoolsMetrics('ingest', env[STACK_NAME_VARIABLE], env.AWS_LAMBDA_FUNCTION_VERSION, {
    flushMs: REQUEST_PATH_LOGGING.metricsFlushMs,
  });
  if (Boolean(config.FAIR_SHARE_EVENTS_PER_SECOND) !== Boolean(config.FAIR_SHARE_TABLE))
    throw new Error('FAIR_SHARE_EVENTS_PER_SECOND and FAIR_SHARE_TABLE go together: set both or neither');
  const fairShare =
    config.FAIR_SHARE_EVENTS_PER_SECOND && config.FAIR_SHARE_TABLE
      ? new FairShare(
          fairShareSettings(Number(config.FAIR_SHARE_EVENTS_PER_SECOND)),
          new DynamoFairShareCounter(new DynamoDBClient(requestPathClientConfig()), config.FAIR_SHARE_TABLE),
          systemClock,
          reportUnavailable(logger, metrics),
        )
      : undefined;
  if (Boolean(config.ERASURE_TABLE) !== Boolean(config.AUDIT_KEY_SECRET))
    throw new Error('ERASURE_TABLE and AUDIT_KEY_SECRET go together: set both or neither');
  const erasures =
    config.ERASURE_TABLE && config.AUDIT_KEY_SECRET
      ? new DynamoErasureLog(
          new DynamoDBClient(requestPathClientConfig()),
          config.ERASURE_TABLE,
          secretAuditKey(new SecretsManagerClient(requestPathClientConfig()), config.AUDIT_KEY_SECRET),
          () => systemClock.now(),
          config.MAX_CUSTOMERS ? Number(config.MAX_CUSTOMERS) : undefined,
        )
      : undefined;
  return {
    sink,
    fairShare,
    erasures,
    clock: systemClock,
    retry: DEFAULT_RETRY_POLICY,
    limits: DEFAULT_LIMITS,
    // One deadline per request; the breakers live as long as the instance.
    deadline: { policy: INGEST_DEADLINE, breakers: ingestBreakers(systemClock) },
    logger,
    middleware: [middleware],
    metrics,
  };
}

const names = (list: string) =>
  list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
