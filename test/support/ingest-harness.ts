import type { Logger, RecordSink } from '../../domain/core/common/ports';
import type { RetryPolicy } from '../../domain/core/ingest/deliver';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { createIngestHandler } from '../../lambdas/ingest/create-ingest-handler';
import { createFakeClock, type createIngestEvent, lambdaContext } from './factories';
import { MemorySink } from './memory/memory-sink';

export const retry: RetryPolicy = {
  budgetMs: 2_000,
  baseDelayMs: 50,
  maxDelayMs: 500,
  retryAfterSeconds: 30,
  throttleBudgetMs: 2_000,
};

export function setup(sink: RecordSink = new MemorySink()) {
  const logs: string[] = [];
  const logger: Logger = {
    info: (m, f) => logs.push(JSON.stringify({ m, ...f })),
    warn: (m, f) => logs.push(JSON.stringify({ m, ...f })),
    error: (m, f) => logs.push(JSON.stringify({ m, ...f })),
  };
  const handler = createIngestHandler({
    sink,
    clock: createFakeClock(),
    retry,
    limits: DEFAULT_LIMITS,
    logger,
  });
  return {
    handler,
    logs,
    invoke: (event: ReturnType<typeof createIngestEvent>) => handler(event, lambdaContext),
  };
}

export const json = (answer: { body: string }) => JSON.parse(answer.body);
