import type { MiddlewareObj } from '@middy/core';
import { IngestError, InternalError } from '../../domain/core/common/errors';
import { type HttpAnswer, toHttpAnswer } from '../../domain/core/common/http-answer';
import type { Logger } from '../../domain/core/common/ports';

/**
 * Middleware that turns any error into the answer Segment's contract asks for (see
 * docs/error-handling.md). It logs the error's code and, for our own failures, the error's name and
 * detail — never the request, its headers or its body.
 */
export function answerErrors(logger: Logger): MiddlewareObj<unknown, HttpAnswer> {
  return {
    onError: function answerError(request) {
      const error = request.error;
      if (error instanceof IngestError && !(error instanceof InternalError)) {
        logger[error.retryable ? 'error' : 'warn']('request refused', {
          status: error.status,
          code: error.code,
        });
      } else {
        // Message and stack, so a production 500 can be diagnosed: they never hold a key or a body (the
        // log-secret test in test/security guards that), and the answer itself stays a fixed text.
        const detail = error instanceof InternalError ? error.detail : (error?.message ?? 'unknown');
        logger.error('request failed', {
          status: 500,
          code: 'internal_error',
          error: error?.name ?? 'unknown',
          detail,
          stack: error?.stack,
        });
      }
      request.response = toHttpAnswer(error);
    },
  };
}
