import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { powertoolsLogger } from '../../adapters/aws/powertools-logger';
import { powertoolsMetrics } from '../../adapters/aws/powertools-metrics';

export interface LogLineSizes {
  /** The ingest function's per-request INFO line, as Powertools writes it on Lambda (bytes). */
  ingestLineBytes: number;
  /** The authorizer's per-call INFO line. */
  authorizerLineBytes: number;
  /** One write of an instance's counts: the embedded-metric lines and their bytes. */
  metricsWriteBytes: number;
  metricsWriteLines: number;
  /** An access log line of the configured format with typical values. */
  accessLineBytes: number;
}

/** A Lambda context as long as a deployed function's: its names and ARN are in every line. */
const CONTEXT: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'SegmentLakeDestination-IngestFunction7FD6BA1A-AbCdEfGhIjKl',
  functionVersion: '12',
  invokedFunctionArn:
    'arn:aws:lambda:us-east-1:123456789012:function:SegmentLakeDestination-IngestFunction7FD6BA1A-AbCdEfGhIjKl:live',
  memoryLimitInMB: '512',
  awsRequestId: '0f5e2b7c-3d4a-4c1e-9b8f-2a6d7e9c1b3f',
  logGroupName: '/aws/lambda/SegmentLakeDestination-IngestFunction7FD6BA1A-AbCdEfGhIjKl',
  logStreamName: '2026/12/07/[12]0123456789abcdef0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** Typical values of the access log's variables (a Segment request, allowed and answered 200). */
const ACCESS_VALUES: Record<string, string> = {
  '$context.requestId': 'Ab1CdEfGhIjKlMn=',
  '$context.requestTimeEpoch': '1796630400123',
  '$context.identity.sourceIp': '203.0.113.195',
  '$context.routeKey': 'POST /v1/batch',
  '$context.status': '200',
  '$context.responseLatency': '24',
  '$context.authorizer.customerId': 'acme-analytics',
};

/**
 * Measures what the request path writes to CloudWatch Logs per line, through the functions' own
 * adapters (Powertools, with a Lambda context) and the access log format the template configures:
 * stdout is captured while one request's line and one metrics write are produced.
 */
export async function measureLogLines(
  ingestFields: Record<string, unknown>,
  accessLogFormat: string,
): Promise<LogLineSizes> {
  const ingestLine = await captured(async () => {
    const { logger, middleware } = powertoolsLogger('ingest');
    await middy(async () => logger.info('ingested', { ...ingestFields, sampleRate: 0.01 })).use(middleware)(
      {},
      CONTEXT,
    );
  });
  const authorizerLine = await captured(async () => {
    const { logger, middleware } = powertoolsLogger('authorizer');
    await middy(async () =>
      logger.info('allowed', {
        customerId: 'acme-analytics',
        tokenId: 'tok_0123456789abcdef',
        sampleRate: 0.01,
      }),
    ).use(middleware)({}, CONTEXT);
  });
  // What one write holds after ten seconds of ordinary requests: the counts, and their versioned copy.
  const metricsWrite = await captured(async () => {
    const metrics = powertoolsMetrics('ingest', 'SegmentLakeDestination', '12');
    metrics.count('Requests', 100);
    metrics.count('EventsAccepted', 100);
    metrics.count('DuplicatesInRequest', 0);
    metrics.flush();
  });
  let access = accessLogFormat;
  for (const match of accessLogFormat.match(/\$context\.[A-Za-z.]+/g) ?? [])
    access = access.replace(match, ACCESS_VALUES[match] ?? '-');
  return {
    ingestLineBytes: bytesOf(ingestLine),
    authorizerLineBytes: bytesOf(authorizerLine),
    metricsWriteBytes: bytesOf(metricsWrite),
    metricsWriteLines: metricsWrite.length,
    accessLineBytes: Buffer.byteLength(access),
  };
}

async function captured(run: () => Promise<void>): Promise<string[]> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const originalLog = console.log;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  console.log = (...args: unknown[]) => {
    chunks.push(`${args.map(String).join(' ')}\n`);
  };
  try {
    await run();
  } finally {
    process.stdout.write = original;
    console.log = originalLog;
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim().length > 0);
}

const bytesOf = (lines: string[]) => lines.reduce((sum, l) => sum + Buffer.byteLength(l), 0);
