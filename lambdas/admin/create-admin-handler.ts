import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as v from 'valibot';
import { answerErrors } from '../../adapters/middy/answer-errors';
import { type ErasureEntry, erasureAuditRow } from '../../domain/contract/erasure';
import { ADMIN_ROUTES, type AdminRoute } from '../../domain/contract/routes';
import { capacityWarning } from '../../domain/core/capacity/capacity-warning';
import { AdminInputError, NotFoundError } from '../../domain/core/common/errors';
import { type HttpAnswer, jsonAnswer } from '../../domain/core/common/http-answer';
import type { Clock, Logger } from '../../domain/core/common/ports';
import { setTrackingPlan } from '../../domain/core/keys/plan-admin';
import {
  issueEnableLink,
  revokeToken,
  setCustomerStatus,
  setEventAlias,
  summarize,
} from '../../domain/core/keys/token-admin';
import type { TokenStore } from '../../domain/core/keys/token-store';
import type { EnableLinkOptions } from '../../domain/core/onboarding/enable-link';

export interface AdminDeps {
  tokens: TokenStore;
  link: Omit<EnableLinkOptions, 'token'>;
  logger: Logger;
  /** When keys are created and revoked, and customers changed. */
  clock: Clock;
  /** The stack's capacity (`maxCustomers`): a key issued past it is answered with a `warning`. */
  maxCustomers?: number | undefined;
  /** Run before everything else, e.g. Powertools' request context for the logs. */
  middleware?: MiddlewareObj[];
  /** The Segment delete requests and their audit (lib/user-erasure.ts); none: an empty list. */
  erasures?: { list(customerId: string): Promise<ErasureEntry[]> } | undefined;
}

export type AdminHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpAnswer>;

type RouteHandler = (
  event: APIGatewayProxyEventV2,
  params: Record<string, string | undefined>,
) => Promise<HttpAnswer>;

const AliasBody = v.object({
  from: v.pipe(v.string(), v.trim(), v.minLength(1)),
  to: v.pipe(v.string(), v.trim(), v.minLength(1)),
});

/**
 * Every admin route (domain/contract/routes.ts) and what it does: the type makes the table complete —
 * a route added to the contract without a handler here does not compile.
 */
function routeTable(deps: AdminDeps): Record<AdminRoute, RouteHandler> {
  const now = () => new Date(deps.clock.now());
  const setStatus = (status: 'enabled' | 'disabled'): RouteHandler =>
    async function setStatusRoute(_event, params) {
      const customer = await setCustomerStatus(
        deps.tokens,
        params.customerId ?? '',
        status,
        new Date(deps.clock.now()),
      );
      deps.logger.info('customer status', { customerId: customer.customerId, status });
      return jsonAnswer(200, {
        customerId: customer.customerId,
        status: customer.status,
        updatedAt: customer.updatedAt,
      });
    };
  return {
    'POST /admin/customers/{customerId}/tokens': async function issueKey(_event, params) {
      const issued = await issueEnableLink(
        deps.tokens,
        params.customerId ?? '',
        deps.link,
        new Date(deps.clock.now()),
      );
      deps.logger.info('key issued', {
        customerId: issued.record.customerId,
        tokenId: issued.record.tokenId,
      });
      const warning =
        deps.maxCustomers === undefined ? undefined : await capacityWarning(deps.tokens, deps.maxCustomers);
      if (warning) deps.logger.warn('over capacity', { customerId: issued.record.customerId, warning });
      return jsonAnswer(201, {
        token: issued.token,
        ...summarize(issued.record),
        enableUrl: issued.enableUrl,
        ...(warning ? { warning } : {}),
      });
    },
    'GET /admin/customers/{customerId}/tokens': async function listKeys(_event, params) {
      return jsonAnswer(200, { tokens: (await deps.tokens.listTokens(params.customerId)).map(summarize) });
    },
    'POST /admin/tokens/{tokenId}/revoke': async function revokeKey(_event, params) {
      const revoked = await revokeToken(deps.tokens, params.tokenId ?? '', new Date(deps.clock.now()));
      deps.logger.info('key revoked', { customerId: revoked.customerId, tokenId: revoked.tokenId });
      return jsonAnswer(200, revoked);
    },
    'POST /admin/customers/{customerId}/disable': setStatus('disabled'),
    'POST /admin/customers/{customerId}/enable': setStatus('enabled'),
    'POST /admin/customers/{customerId}/aliases': async function setAlias(event, params) {
      const body = v.safeParse(AliasBody, parseJson(event));
      if (!body.success)
        throw new AdminInputError('The body must be {"from": "<event name>", "to": "<canonical name>"}.');
      const customer = await setEventAlias(
        deps.tokens,
        params.customerId ?? '',
        body.output.from,
        body.output.to,
        new Date(deps.clock.now()),
      );
      return jsonAnswer(200, { customerId: customer.customerId, eventAliases: customer.eventAliases });
    },
    'PUT /admin/customers/{customerId}/tracking-plan': async function setPlan(event, params) {
      const body = parseJson(event);
      if (body === undefined)
        throw new AdminInputError('The body must be a tracking plan as JSON (docs/data-quality.md).');
      const customer = await setTrackingPlan(deps.tokens, params.customerId ?? '', body, now());
      deps.logger.info('tracking plan set', {
        customerId: customer.customerId,
        events: Object.keys(customer.trackingPlan?.events ?? {}).length,
      });
      return jsonAnswer(200, { customerId: customer.customerId, trackingPlan: customer.trackingPlan });
    },
    'GET /admin/customers/{customerId}/tracking-plan': async function showPlan(_event, params) {
      const customer = await deps.tokens.getCustomer(params.customerId ?? '');
      if (!customer?.trackingPlan)
        throw new NotFoundError(`Customer "${String(params.customerId).slice(0, 80)}" has no tracking plan.`);
      return jsonAnswer(200, { customerId: customer.customerId, trackingPlan: customer.trackingPlan });
    },
    'GET /admin/customers/{customerId}/deletions': async function listDeletions(_event, params) {
      const customerId = params.customerId ?? '';
      const entries = deps.erasures ? await deps.erasures.list(customerId) : [];
      return jsonAnswer(200, { customerId, deletions: entries.map(erasureAuditRow) });
    },
    'DELETE /admin/customers/{customerId}/tracking-plan': async function clearPlan(_event, params) {
      const customer = await setTrackingPlan(deps.tokens, params.customerId ?? '', undefined, now());
      deps.logger.info('tracking plan cleared', { customerId: customer.customerId });
      return jsonAnswer(200, { customerId: customer.customerId, trackingPlan: null });
    },
  };
}

const KNOWN: ReadonlySet<string> = new Set(ADMIN_ROUTES);

/**
 * The partner backend's API: issue a key with its Segment enable link, list a customer's keys
 * (metadata only: never a key or its hash), revoke a key, disable or enable a customer, set an event
 * alias. Mistakes are answered 400/404 with a message, anything else a fixed 500, through the same
 * error middleware as ingest; keys are never logged.
 */
export function createAdminHandler(deps: AdminDeps): AdminHandler {
  const routes = routeTable(deps);
  return middy<APIGatewayProxyEventV2, HttpAnswer>()
    .use(deps.middleware ?? [])
    .use(answerErrors(deps.logger))
    .handler(async function routeAdminRequest(event) {
      if (!KNOWN.has(event.routeKey)) throw new NotFoundError('Not Found');
      return routes[event.routeKey as AdminRoute](event, event.pathParameters ?? {});
    });
}

function parseJson(event: APIGatewayProxyEventV2): unknown {
  if (!event.body) return undefined;
  try {
    return JSON.parse(
      event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
    );
  } catch {
    return undefined;
  }
}
