import { Logger as Powertools } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '../../domain/core/common/ports';

/**
 * The functions' logs through Powertools Logger: JSON lines with the service, the level, the timestamp
 * and — through `middleware` — the Lambda request id and cold start of every invocation, which is what
 * makes a production 500 findable. Callers pass codes, counts and error details only: never headers,
 * keys, bodies or events (test/security guards it).
 */
export function powertoolsLogger(
  serviceName: string,
  options: {
    /**
     * The share of INFO lines written (the request path's: REQUEST_PATH_LOGGING.infoSampleRate); each
     * written one carries `sampleRate`. Warnings and errors are always written. Default: every line.
     */
    infoSampleRate?: number;
    random?: () => number;
  } = {},
): { logger: Logger; middleware: MiddlewareObj } {
  const powertools = new Powertools({ serviceName });
  const rate = options.infoSampleRate ?? 1;
  const random = options.random ?? Math.random;
  return {
    logger: {
      info:
        rate >= 1
          ? (message, fields) => powertools.info(message, { ...fields })
          : (message, fields) => {
              if (random() < rate) powertools.info(message, { ...fields, sampleRate: rate });
            },
      warn: (message, fields) => powertools.warn(message, { ...fields }),
      error: (message, fields) => powertools.error(message, { ...fields }),
    },
    middleware: injectLambdaContext(powertools, { resetKeys: true }),
  };
}
