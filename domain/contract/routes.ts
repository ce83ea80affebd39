/**
 * The routes Segment, analytics-node and RudderStack's SDK post to. lib/ingest-api.ts deploys them;
 * the local server matches requests against the same list.
 */
export const INGEST_ROUTES = ['/', '/v1/batch', '/v1/{type}'] as const;

/** The admin API's routes (IAM-authorized); lib/admin-api.ts deploys them, the admin handler serves them. */
export const ADMIN_ROUTES = [
  'POST /admin/customers/{customerId}/tokens',
  'GET /admin/customers/{customerId}/tokens',
  'POST /admin/tokens/{tokenId}/revoke',
  'POST /admin/customers/{customerId}/disable',
  'POST /admin/customers/{customerId}/enable',
  'POST /admin/customers/{customerId}/aliases',
  'PUT /admin/customers/{customerId}/tracking-plan',
  'GET /admin/customers/{customerId}/tracking-plan',
  'DELETE /admin/customers/{customerId}/tracking-plan',
  'GET /admin/customers/{customerId}/deletions',
] as const;
export type AdminRoute = (typeof ADMIN_ROUTES)[number];

/** The public page Segment sends a customer back to after enabling the destination (no auth). */
export const ENABLE_CALLBACK_PATH = '/enable/callback';

/**
 * How long API Gateway keeps an authorizer verdict per `Authorization` header by default (the stack's
 * `authorizerCacheTtlSeconds`); the local server keeps its verdicts as long at most.
 */
export const DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS = 300;
