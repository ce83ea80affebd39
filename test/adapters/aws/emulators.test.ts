import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { DynamoTokenStore } from '../../../adapters/aws/dynamo-token-store';
import { KinesisSink } from '../../../adapters/aws/kinesis-sink';
import { deliver } from '../../../domain/core/ingest/deliver';
import { authorize } from '../../../domain/core/keys/authorize';
import { createToken, revokeToken, setEventAlias } from '../../../domain/core/keys/token-admin';
import { hashToken } from '../../../domain/core/keys/tokens';
import { type LakeLine, packRecords } from '../../../domain/core/lake/pack-records';
import {
  createTokenTable,
  type Emulator,
  emulatorClientConfig,
  kinesaliteClient,
  readStreamLines,
  startDynalite,
  startKinesalite,
} from '../../support/emulators';
import { eventually } from '../../support/eventually';
import { createFakeClock, TEST_NOW } from '../../support/factories';
import { basicAuth } from '../../support/local-destination';

describe('DynamoTokenStore against dynalite', () => {
  let dynamo: Emulator;
  let store: DynamoTokenStore;
  beforeAll(async () => {
    dynamo = await startDynalite();
    const client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
    await createTokenTable(client, 'tokens');
    store = new DynamoTokenStore(client, 'tokens');
  });
  afterAll(() => dynamo.close());

  it('stores a key by its hash only, and finds it by hash', async () => {
    const { token, record } = await createToken(store, 'acme', TEST_NOW);

    expect(await store.findByHash(hashToken(token))).toEqual(record);
    expect(JSON.stringify(await store.listTokens())).not.toContain(token);
  });

  it("lists a customer's keys, and revokes one by id", async () => {
    const a = await createToken(store, 'beta', TEST_NOW);
    const b = await createToken(store, 'beta', TEST_NOW);

    const revoked = await revokeToken(store, a.record.tokenId, TEST_NOW);

    expect(revoked).toMatchObject({
      tokenId: a.record.tokenId,
      status: 'revoked',
      revokedAt: expect.any(String),
    });
    expect((await store.listTokens('beta')).map((t) => [t.tokenId, t.status]).sort()).toEqual(
      [
        [a.record.tokenId, 'revoked'],
        [b.record.tokenId, 'active'],
      ].sort(),
    );
    expect(await store.revokeToken('tok_unknown', new Date())).toBeUndefined();
  });

  it('backs the authorizer: allow, aliases, revoked, disabled', async () => {
    const { token, record } = await createToken(store, 'gamma', TEST_NOW);
    await setEventAlias(store, 'gamma', 'Joined', 'Signed Up', TEST_NOW);
    const header = basicAuth(token);

    expect(await authorize(header, store, TEST_NOW)).toEqual({
      customerId: 'gamma',
      tokenId: record.tokenId,
      eventAliases: '{"Joined":"Signed Up"}',
      trackingPlan: '',
    });
    await store.putCustomer({
      customerId: 'gamma',
      status: 'disabled',
      eventAliases: {},
      updatedAt: new Date().toISOString(),
    });
    expect(await authorize(header, store, TEST_NOW)).toEqual({ denied: 'customer_disabled' });
    await revokeToken(store, record.tokenId, TEST_NOW);
    expect(await authorize(header, store, TEST_NOW)).toEqual({ denied: 'invalid_api_key' });
  });
});

describe('KinesisSink against kinesalite', () => {
  let kinesis: Emulator;
  let client: KinesisClient;
  beforeAll(async () => {
    kinesis = await startKinesalite();
    client = kinesaliteClient(kinesis.endpoint);
    await client.send(new CreateStreamCommand({ StreamName: 'events', ShardCount: 4 }));
    await eventually(
      async () =>
        (await client.send(new DescribeStreamSummaryCommand({ StreamName: 'events' })))
          .StreamDescriptionSummary?.StreamStatus,
      (status) => status === 'ACTIVE',
    );
  });
  afterAll(() => kinesis.close());

  it('lands every packed line in the stream, spread over shards', async () => {
    const lines: LakeLine[] = Array.from({ length: 400 }, (_, i) => ({
      area: 'events',
      customerId: 'busy',
      dt: '2026-01-01',
      spreadKey: `m-${i}`,
      json: JSON.stringify({ message_id: `m-${i}`, pad: 'x'.repeat(2_000) }),
    }));
    const records = packRecords(lines, 64 * 1024);

    await deliver(
      records,
      new KinesisSink(client, 'events'),
      { budgetMs: 5_000, baseDelayMs: 10, maxDelayMs: 100, retryAfterSeconds: 30, throttleBudgetMs: 5_000 },
      createFakeClock(),
    );

    const shards = await readStreamLines(client, 'events');
    const ids = shards.flat().map((line) => line.message_id);
    const perShard = shards.map((lines) => lines.length);
    expect(ids.sort()).toEqual(lines.map((l) => JSON.parse(l.json).message_id).sort());
    expect(perShard.filter((n) => n > 0).length).toBeGreaterThan(1);
  });
});
