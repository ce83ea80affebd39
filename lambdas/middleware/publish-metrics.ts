import type { MiddlewareObj } from '@middy/core';
import type { Metrics } from '../core/common/ports';

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
