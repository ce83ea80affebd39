import type { MiddlewareObj } from '@middy/core';
import { IngestError, InternalError } from '../core/common/errors';
import { type HttpAnswer, toHttpAnswer } from '../core/common/http-answer';
import type { Logger } from '../core/common/ports';

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
        const detail = error instanceof InternalError ? error.detail : (error?.name ?? 'unknown');
        logger.error('request failed', { status: 500, code: 'internal_error', detail });
      }
      request.response = toHttpAnswer(error);
    },
  };
}
