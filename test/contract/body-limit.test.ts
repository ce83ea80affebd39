import { randomBytes } from 'node:crypto';
import { integrationEvent, localRequest } from '../../adapters/aws/api-gateway-events';
import { AWS_QUOTAS } from '../../domain/contract/aws-quotas';
import { MAX_PLAN_BYTES } from '../../domain/contract/tracking-plan';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { TEST_NOW } from '../support/factories';

/**
 * The documented body limit (DEFAULT_LIMITS.maxBodyBytes) against Lambda's 6 MB synchronous payload,
 * once API Gateway has put the body into its event: base64 for a gzip body, JSON escaping for text.
 * The event is built the way the HTTP API builds it (adapters/aws/api-gateway-events.ts), with the
 * largest envelope a request can bring: 10 KB of headers (HTTP APIs' limit) and an authorizer verdict
 * carrying a tracking plan of MAX_PLAN_BYTES.
 */
const LIMIT = AWS_QUOTAS.lambdaSyncPayloadBytes;
const MAX = DEFAULT_LIMITS.maxBodyBytes;

function eventBytes(body: Buffer, headers: Record<string, string> = {}): number {
  const plan = JSON.stringify({ events: { x: { properties: { p: 'y'.repeat(MAX_PLAN_BYTES - 60) } } } });
  const event = integrationEvent(
    localRequest({
      body,
      headers: { 'content-type': 'application/json', ...headers, 'x-padding': 'h'.repeat(10 * 1024) },
    }),
    'r'.repeat(40),
    TEST_NOW,
    { customerId: 'c'.repeat(64), tokenId: `tok_${'0'.repeat(16)}`, eventAliases: '{}', trackingPlan: plan },
  );
  return Buffer.byteLength(JSON.stringify(event));
}

/** What analytics.js sends: a page context, a user agent, campaign fields, a few properties. */
function browserMessage(i: number): Record<string, unknown> {
  return {
    type: 'track',
    event: 'Product Viewed',
    messageId: `ajs-next-${i.toString(16).padStart(32, '0')}`,
    anonymousId: `a${i}-4b9f-4c1e-9d2a-7f3e5c6b8a90`,
    userId: i % 3 ? null : `user-${i}`,
    properties: { product_id: `sku-${i}`, price: 19.99, currency: 'USD', category: 'Shoes / Running' },
    context: {
      library: { name: 'analytics.js', version: 'next-1.70.0' },
      page: {
        path: '/products/trail-runner',
        referrer: 'https://www.google.com/',
        search: '?utm_source=news&utm_medium=email',
        title: 'Trail Runner — "Lightweight" shoes',
        url: 'https://shop.example.com/products/trail-runner?utm_source=news&utm_medium=email',
      },
      userAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      locale: 'en-US',
      campaign: { source: 'news', medium: 'email', name: 'winter' },
    },
    timestamp: '2026-11-28T10:00:00.000Z',
    sentAt: '2026-11-28T10:00:01.000Z',
  };
}

function maximalBatch(): Buffer {
  const messages: string[] = [];
  let bytes = 40;
  for (let i = 0; ; i++) {
    const text = JSON.stringify(browserMessage(i));
    if (bytes + text.length + 1 > MAX) break;
    messages.push(text);
    bytes += text.length + 1;
  }
  return Buffer.from(`{"batch":[${messages.join(',')}]}`);
}

describe('the body limit fits Lambda’s synchronous payload once API Gateway encodes the body', () => {
  it('a gzip body at the limit, base64-encoded, fits with the largest envelope', () => {
    const body = randomBytes(MAX); // incompressible: the worst case for size
    expect(eventBytes(body, { 'content-encoding': 'gzip' })).toBeLessThanOrEqual(LIMIT);
  });

  it('a JSON text body at the limit, as analytics.js writes it, fits once escaped', () => {
    const body = maximalBatch();
    expect(body.length).toBeGreaterThan(MAX - 2_000);
    const bytes = eventBytes(body);
    expect(bytes).toBeLessThanOrEqual(LIMIT);
    // The growth the docs state for a Segment batch (~15 %).
    expect(bytes / body.length).toBeLessThan(1.2);
  });

  it('a text body of mostly quotes can double, so the docs tell senders of such bodies to gzip', () => {
    const quotes = Buffer.from(`{"batch":[{"type":"track","event":"${'\\"'.repeat(MAX / 2 - 40)}"}]}`);
    expect(quotes.length).toBeLessThanOrEqual(MAX);
    expect(eventBytes(quotes)).toBeGreaterThan(LIMIT);
  });
});
