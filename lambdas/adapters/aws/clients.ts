import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Settings shared by the SDK clients on the request path. `deliver` owns retries (per record, inside
 * the request's budget), so the SDK makes at most one extra attempt of its own; short timeouts keep a
 * stuck connection from eating the budget. HTTP/1.1 keep-alive also suits kinesalite in tests.
 */
export function requestPathClientConfig() {
  return {
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }),
  };
}
