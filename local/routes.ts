/** The HTTP API's routes, as API Gateway matches them (see lib/ for the deployed ones). */
export interface RouteMatch {
  routeKey: string;
  pathParameters?: Record<string, string>;
}

/**
 * Matches a request to a route: `POST /`, `POST /v1/batch`, `POST /v1/{type}`; `undefined` is API
 * Gateway's 404. `/v1/{type}` takes any segment, as API Gateway does; the ingest function decides.
 */
export function matchIngestRoute(method: string, path: string): RouteMatch | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/') return { routeKey: 'POST /' };
  if (path === '/v1/batch') return { routeKey: 'POST /v1/batch' };
  const match = /^\/v1\/([^/]+)$/.exec(path);
  if (match) return { routeKey: 'POST /v1/{type}', pathParameters: { type: decodeURIComponent(match[1]!) } };
  return undefined;
}
