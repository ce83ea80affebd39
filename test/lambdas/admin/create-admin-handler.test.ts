import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { localRequest, routeEvent } from '../../../adapters/aws/api-gateway-events';
import { DynamoTokenStore } from '../../../adapters/aws/dynamo-token-store';
import { authorize } from '../../../domain/core/keys/authorize';
import { hashToken } from '../../../domain/core/keys/tokens';
import { type AdminHandler, createAdminHandler } from '../../../lambdas/admin/create-admin-handler';
import {
  createTokenTable,
  type Emulator,
  emulatorClientConfig,
  startDynalite,
} from '../../support/emulators';
import { createFakeClock, lambdaContext, TEST_NOW } from '../../support/factories';
import { basicAuth } from '../../support/local-destination';
import { parseEnableLink } from '../../support/reference-models';

function adminEvent(
  routeKey: string,
  pathParameters: Record<string, string>,
  body?: unknown,
): APIGatewayProxyEventV2 {
  const [method, path] = routeKey.split(' ') as [string, string];
  return routeEvent(
    localRequest({
      method,
      path,
      routeKey,
      pathParameters,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    'req-1',
    TEST_NOW,
  );
}

describe('admin handler against dynalite', () => {
  let dynamo: Emulator;
  let store: DynamoTokenStore;
  let admin: AdminHandler;
  const logs: string[] = [];

  beforeAll(async () => {
    dynamo = await startDynalite();
    const client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
    await createTokenTable(client, 'tokens');
    store = new DynamoTokenStore(client, 'tokens');
    const log = (m: string, f?: object) => logs.push(JSON.stringify({ m, ...f }));
    admin = createAdminHandler({
      tokens: store,
      link: { slug: 'acme-lake', redirectUrl: 'https://api.example.com/enable/callback' },
      logger: { info: log, warn: log, error: log },
      clock: createFakeClock(),
    });
  });
  afterAll(() => dynamo.close());

  const call = async (routeKey: string, params: Record<string, string>, body?: unknown) => {
    const answer = await admin(adminEvent(routeKey, params, body), lambdaContext);
    return { status: answer.statusCode, body: JSON.parse(answer.body) };
  };

  it('issues a key with the enable link that carries it, once', async () => {
    const created = await call('POST /admin/customers/{customerId}/tokens', { customerId: 'acme' });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      token: expect.stringMatching(/^sgl_/),
      tokenId: expect.stringMatching(/^tok_/),
      customerId: 'acme',
      status: 'active',
    });
    expect(parseEnableLink(created.body.enableUrl)).toEqual({
      slug: 'acme-lake',
      apiKey: created.body.token,
      redirectUrl: 'https://api.example.com/enable/callback',
    });
    expect(await authorize(basicAuth(created.body.token), store, TEST_NOW)).toMatchObject({
      customerId: 'acme',
    });
    expect(logs.join('\n')).not.toContain(created.body.token);
  });

  it('lists metadata only, never a key or its hash', async () => {
    const created = await call('POST /admin/customers/{customerId}/tokens', { customerId: 'listing' });

    const listed = await call('GET /admin/customers/{customerId}/tokens', { customerId: 'listing' });

    expect(listed).toEqual({
      status: 200,
      body: { tokens: [expect.objectContaining({ tokenId: created.body.tokenId, status: 'active' })] },
    });
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.body.token);
    expect(text).not.toContain(hashToken(created.body.token));
    expect(text).not.toContain('tokenHash');
  });

  it('revokes a key (404 for an unknown one), keeping the other keys working', async () => {
    const first = await call('POST /admin/customers/{customerId}/tokens', { customerId: 'rotating' });
    const second = await call('POST /admin/customers/{customerId}/tokens', { customerId: 'rotating' });

    const revoked = await call('POST /admin/tokens/{tokenId}/revoke', { tokenId: first.body.tokenId });
    const unknown = await call('POST /admin/tokens/{tokenId}/revoke', { tokenId: 'tok_0000' });

    expect(revoked).toMatchObject({ status: 200, body: { tokenId: first.body.tokenId, status: 'revoked' } });
    expect(unknown.status).toBe(404);
    expect(await authorize(basicAuth(first.body.token), store, TEST_NOW)).toEqual({
      denied: 'invalid_api_key',
    });
    expect(await authorize(basicAuth(second.body.token), store, TEST_NOW)).toMatchObject({
      customerId: 'rotating',
    });
  });

  it('disables and re-enables a customer', async () => {
    const { body } = await call('POST /admin/customers/{customerId}/tokens', { customerId: 'paused' });

    expect(
      (await call('POST /admin/customers/{customerId}/disable', { customerId: 'paused' })).body,
    ).toMatchObject({ status: 'disabled' });
    expect(await authorize(basicAuth(body.token), store, TEST_NOW)).toEqual({ denied: 'customer_disabled' });
    expect(
      (await call('POST /admin/customers/{customerId}/enable', { customerId: 'paused' })).body,
    ).toMatchObject({ status: 'enabled' });
    expect(await authorize(basicAuth(body.token), store, TEST_NOW)).toMatchObject({ customerId: 'paused' });
  });

  it('sets an event alias', async () => {
    // A customer of its own (it exists once it has a key): the test runs alone or in any order.
    await call('POST /admin/customers/{customerId}/tokens', { customerId: 'aliased' });
    const answer = await call(
      'POST /admin/customers/{customerId}/aliases',
      { customerId: 'aliased' },
      { from: 'Joined', to: 'Signed Up' },
    );

    expect(answer).toEqual({
      status: 200,
      body: { customerId: 'aliased', eventAliases: { Joined: 'Signed Up' } },
    });
  });

  it('answers 400 with a message for bad input', async () => {
    const badCustomer = await call('POST /admin/customers/{customerId}/tokens', { customerId: '../etc' });
    const badBody = await call(
      'POST /admin/customers/{customerId}/aliases',
      { customerId: 'acme' },
      { from: '' },
    );

    expect(badCustomer).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('not valid') },
    });
    expect(badBody).toMatchObject({ status: 400, body: { message: expect.stringContaining('"from"') } });
  });

  it("records a key's last use at most once per five minutes", async () => {
    const { body } = await call('POST /admin/customers/{customerId}/tokens', { customerId: 'usage' });
    const t0 = new Date('2026-11-28T12:00:00Z');

    await authorize(basicAuth(body.token), store, t0);
    await authorize(basicAuth(body.token), store, new Date(t0.getTime() + 60_000));
    expect((await store.findByHash(hashToken(body.token)))?.lastUsedAt).toBe(t0.toISOString());

    const later = new Date(t0.getTime() + 6 * 60_000);
    await authorize(basicAuth(body.token), store, later);
    expect((await store.findByHash(hashToken(body.token)))?.lastUsedAt).toBe(later.toISOString());
  });

  it('issues a key past the stack’s capacity, with a warning in the answer and the log', async () => {
    const client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
    await createTokenTable(client, 'small-tokens');
    const warnings: string[] = [];
    const small = createAdminHandler({
      tokens: new DynamoTokenStore(client, 'small-tokens'),
      link: { slug: 'acme-lake', redirectUrl: 'https://api.example.com/enable/callback' },
      logger: { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
      clock: createFakeClock(),
      maxCustomers: 1,
    });
    const issue = async (customerId: string) =>
      JSON.parse(
        (await small(adminEvent('POST /admin/customers/{customerId}/tokens', { customerId }), lambdaContext))
          .body,
      );

    const first = await issue('first');
    const again = await issue('first'); // a second key of the same customer is no new customer
    const second = await issue('second');

    expect([first.warning, again.warning]).toEqual([undefined, undefined]);
    expect(second.token).toMatch(/^sgl_/);
    expect(second.warning).toMatch(
      /^WARNING: this stack is sized for 1 customers \(maxCustomers\) and 2 now have an active key\./,
    );
    expect(warnings).toEqual(['over capacity']);
  });
});
