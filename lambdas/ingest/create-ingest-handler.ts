import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { IngestEvent } from '../../adapters/aws/api-gateway-events';
import { answerErrors } from '../../adapters/middy/answer-errors';
import { countAnswers, publishMetrics } from '../../adapters/middy/publish-metrics';
import { noMetrics } from '../../adapters/system/no-metrics';
import { headerValue } from '../../domain/core/common/headers';
import type { HttpAnswer } from '../../domain/core/common/http-answer';
import { type IngestDeps, ingestRequest } from '../../domain/core/ingest/ingest-request';
import { principalFrom } from '../../domain/core/keys/principal';

export type IngestHandler = (event: IngestEvent, context: Context) => Promise<HttpAnswer>;

/**
 * The ingest Lambda, given its adapters. `POST /`, `POST /v1/batch` and `POST /v1/{type}` all reach the
 * same core function; `/v1/<type>` only supplies the type of messages that do not name one.
 */
export function createIngestHandler(
  deps: IngestDeps & {
    /** Run before everything else, e.g. Powertools' request context for the logs (the composition root's). */
    middleware?: MiddlewareObj[];
  },
): IngestHandler {
  return middy<IngestEvent, HttpAnswer>()
    .use(deps.middleware ?? [])
    .use(publishMetrics(deps.metrics ?? noMetrics))
    .use(countAnswers(deps.metrics ?? noMetrics))
    .use(answerErrors(deps.logger))
    .handler(async (event) => {
      const principal = principalFrom(event.requestContext.authorizer?.lambda);
      const pathType = event.pathParameters?.type?.toLowerCase();
      return ingestRequest(
        {
          body: event.body ?? null,
          isBase64Encoded: event.isBase64Encoded,
          contentEncoding: headerValue(event.headers, 'content-encoding'),
          customerId: principal.customerId,
          requestId: event.requestContext.requestId,
          aliases: principal.aliases,
          plan: principal.plan,
          // `/v1/purchase` names a type too: messages without their own get it, and are refused as
          // unsupported_type (501), as they would be with `"type": "purchase"` in the body.
          routeType: pathType || undefined,
        },
        deps,
      );
    });
}
