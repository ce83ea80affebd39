/**
 * The routes Segment, analytics-node and RudderStack's SDK post to. lib/ingest-api.ts deploys them;
 * the local server matches requests against the same list.
 */
export const INGEST_ROUTES = ['/', '/v1/batch', '/v1/{type}'] as const;
