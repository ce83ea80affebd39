import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as v from 'valibot';
import type { EnableLinkOptions } from '../core/enable-link';
import { type HttpAnswer, jsonAnswer } from '../core/http-answer';
import type { Logger } from '../core/ports';
import {
  AdminInputError,
  issueEnableLink,
  NotFoundError,
  revokeToken,
  setCustomerStatus,
  setEventAlias,
  summarize,
} from '../core/token-admin';
import type { TokenStore } from '../core/token-store';

export interface AdminDeps {
  tokens: TokenStore;
  link: Omit<EnableLinkOptions, 'token'>;
  logger: Logger;
}

export type AdminHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpAnswer>;

/** The admin routes (IAM-authorized: only our backend can call them). */
export const ADMIN_ROUTES = [
  'POST /admin/customers/{customerId}/tokens',
  'GET /admin/customers/{customerId}/tokens',
  'POST /admin/tokens/{tokenId}/revoke',
  'POST /admin/customers/{customerId}/disable',
  'POST /admin/customers/{customerId}/enable',
  'POST /admin/customers/{customerId}/aliases',
] as const;

const AliasBody = v.object({
  from: v.pipe(v.string(), v.trim(), v.minLength(1)),
  to: v.pipe(v.string(), v.trim(), v.minLength(1)),
});

/**
 * The partner backend's API: issue a key with its Segment enable link, list a customer's keys
 * (metadata only: never a key or its hash), revoke a key, disable or enable a customer, set an event
 * alias. Mistakes are answered 400/404 with a message; keys are never logged.
 */
export function createAdminHandler(deps: AdminDeps): AdminHandler {
  return middy<APIGatewayProxyEventV2, HttpAnswer>().handler(async (event) => {
    const params = event.pathParameters ?? {};
    try {
      switch (event.routeKey) {
        case 'POST /admin/customers/{customerId}/tokens': {
          const issued = await issueEnableLink(deps.tokens, params.customerId ?? '', deps.link);
          deps.logger.info('key issued', {
            customerId: issued.record.customerId,
            tokenId: issued.record.tokenId,
          });
          return jsonAnswer(201, {
            token: issued.token,
            ...summarize(issued.record),
            enableUrl: issued.enableUrl,
          });
        }
        case 'GET /admin/customers/{customerId}/tokens':
          return jsonAnswer(200, {
            tokens: (await deps.tokens.listTokens(params.customerId)).map(summarize),
          });
        case 'POST /admin/tokens/{tokenId}/revoke': {
          const revoked = await revokeToken(deps.tokens, params.tokenId ?? '');
          deps.logger.info('key revoked', { customerId: revoked.customerId, tokenId: revoked.tokenId });
          return jsonAnswer(200, revoked);
        }
        case 'POST /admin/customers/{customerId}/disable':
        case 'POST /admin/customers/{customerId}/enable': {
          const status = event.routeKey.endsWith('disable') ? 'disabled' : 'enabled';
          const customer = await setCustomerStatus(deps.tokens, params.customerId ?? '', status);
          deps.logger.info('customer status', { customerId: customer.customerId, status });
          return jsonAnswer(200, {
            customerId: customer.customerId,
            status: customer.status,
            updatedAt: customer.updatedAt,
          });
        }
        case 'POST /admin/customers/{customerId}/aliases': {
          const body = v.safeParse(AliasBody, parseJson(event));
          if (!body.success)
            throw new AdminInputError('The body must be {"from": "<event name>", "to": "<canonical name>"}.');
          const customer = await setEventAlias(
            deps.tokens,
            params.customerId ?? '',
            body.output.from,
            body.output.to,
          );
          return jsonAnswer(200, { customerId: customer.customerId, eventAliases: customer.eventAliases });
        }
        default:
          return jsonAnswer(404, { message: 'Not Found' });
      }
    } catch (error) {
      if (!(error instanceof AdminInputError)) {
        deps.logger.error('admin request failed', {
          routeKey: event.routeKey,
          detail: (error as Error).name,
        });
        return jsonAnswer(500, {
          message: 'Internal error; nothing was changed unless the answer said so. Retry.',
        });
      }
      return jsonAnswer(error instanceof NotFoundError ? 404 : 400, { message: error.message });
    }
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
