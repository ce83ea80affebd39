import type { MiddlewareObj } from '@middy/core';
import type { Metrics } from '../../domain/core/common/ports';

/**
 * Counts an ingest answer in the 4xx class (429 aside: that is the fair share, not the release) or the
 * 5xx class: what a deployment compares between the new version and the alias (lib/safe-deployment.ts). Registered after
 * publishMetrics and before answerErrors, so it sees the answer answerErrors made of an error.
 */
export function countAnswers(metrics: Metrics): MiddlewareObj<unknown, { statusCode?: number } | undefined> {
  const count = (response: { statusCode?: number } | null | undefined) => {
    const status = response?.statusCode ?? 0;
    if (status >= 400 && status < 500 && status !== 429) metrics.count('Answered4xx', 1);
    if (status >= 500) metrics.count('Answered5xx', 1);
  };
  return {
    after: function countAfterAnswer(request) {
      count(request.response);
    },
    onError: function countAfterError(request) {
      count(request.response);
    },
  };
}

/** Publishes the invocation's counts once it is answered, whether it succeeded or not. */
export function publishMetrics(metrics: Metrics): MiddlewareObj {
  return {
    after: function publishAfterAnswer() {
      metrics.flush();
    },
    onError: function publishAfterError() {
      metrics.flush();
    },
  };
}
