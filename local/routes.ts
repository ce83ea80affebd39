import { INGEST_ROUTES } from '../domain/contract/routes';

/** A request matched to one of the HTTP API's routes, as API Gateway would put it in the event. */
export interface RouteMatch {
  routeKey: string;
  pathParameters?: Record<string, string>;
}

// Each deployed route as a pattern; `{name}` takes one path segment. Static routes come first in the
// list, so `/v1/batch` wins over `/v1/{type}`, as API Gateway prefers the more specific route.
const PATTERNS = INGEST_ROUTES.map((path) => ({
  routeKey: `POST ${path}`,
  names: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
  regex: new RegExp(`^${path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

/** Matches a request to an ingest route; `undefined` is API Gateway's 404. */
export function matchIngestRoute(method: string, path: string): RouteMatch | undefined {
  if (method !== 'POST') return undefined;
  for (const { routeKey, names, regex } of PATTERNS) {
    const match = regex.exec(path);
    if (!match) continue;
    if (names.length === 0) return { routeKey };
    try {
      return {
        routeKey,
        pathParameters: Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)])),
      };
    } catch {
      return undefined; // a malformed %-escape in the path: no route, as API Gateway answers
    }
  }
  return undefined;
}
