import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Settings shared by the SDK clients on the request path. `deliver` owns retries (per record, inside
 * the request's budget, and none at all when the store throttles every record), so the SDK makes no
 * attempt of its own: its standard mode would retry a throttle with back-off and hold the request.
 * On the request path every call also carries the request's
 * deadline as its `abortSignal` (domain/core/common/deadline.ts), which ends it sooner; these timeouts
 * are the backstop for callers without one (the redrive). HTTP/1.1 keep-alive also suits kinesalite in
 * tests.
 */
export function requestPathClientConfig() {
  return {
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }),
  };
}
