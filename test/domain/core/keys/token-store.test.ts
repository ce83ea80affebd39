import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTokenStore } from '../../../../adapters/aws/dynamo-token-store';
import { FileTokenStore } from '../../../../adapters/local/file-token-store';
import type { TokenStore } from '../../../../domain/core/keys/token-store';
import { issueToken, type TokenRecord } from '../../../../domain/core/keys/tokens';
import {
  createTokenTable,
  type Emulator,
  emulatorClientConfig,
  startDynalite,
} from '../../../support/emulators';
import { TEST_NOW } from '../../../support/factories';
import { MemoryTokenStore } from '../../../support/memory/memory-token-store';

interface Subject {
  store: TokenStore;
  /** Writes what the store queues (the file store batches lastUsedAt off the request path). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const at = (minutes: number) => new Date(TEST_NOW.getTime() + minutes * 60_000);
let sequence = 0;
const key = (customerId = 'acme'): TokenRecord => {
  sequence += 1;
  return {
    ...issueToken(customerId, TEST_NOW).record,
    tokenId: `tok_${sequence.toString(16).padStart(16, '0')}`,
  };
};

// The same behaviour, whatever holds the keys: the memory store (tests), the file (npm start and the
// tokens command) and DynamoDB (deployed; dynalite speaks its real API).
describe.each([
  [
    'memory',
    async (): Promise<Subject> => ({
      store: new MemoryTokenStore(),
      settle: async () => {},
      close: async () => {},
    }),
  ],
  [
    'file',
    async (): Promise<Subject> => {
      const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
      const store = new FileTokenStore(dir, { recheckMs: 0 });
      return {
        store,
        settle: () => store.flushUsage(),
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'dynamodb (dynalite)',
    async (): Promise<Subject> => {
      const dynamo: Emulator = await startDynalite();
      const client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
      await createTokenTable(client, 'tokens');
      return {
        store: new DynamoTokenStore(client, 'tokens'),
        settle: async () => {},
        close: () => dynamo.close(),
      };
    },
  ],
])('TokenStore contract: %s', (_name, make) => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await make();
  });
  afterAll(() => subject.close());

  it('finds a key by its hash, and nothing for an unknown hash', async () => {
    const record = key();
    await subject.store.putToken(record);

    expect(await subject.store.findByHash(record.tokenHash)).toEqual(record);
    expect(await subject.store.findByHash('0'.repeat(64))).toBeUndefined();
  });

  it("lists one customer's keys, or all", async () => {
    const mine = [key('lister'), key('lister')];
    for (const record of [...mine, key('other')]) await subject.store.putToken(record);

    expect((await subject.store.listTokens('lister')).map((t) => t.tokenId).sort()).toEqual(
      mine.map((t) => t.tokenId).sort(),
    );
    expect((await subject.store.listTokens()).length).toBeGreaterThanOrEqual(3);
  });

  it('revokes a key once: a second revocation keeps the first time; an unknown key is undefined', async () => {
    const record = key();
    await subject.store.putToken(record);

    const first = await subject.store.revokeToken(record.tokenId, at(1));
    const second = await subject.store.revokeToken(record.tokenId, at(2));

    expect(first).toMatchObject({ status: 'revoked', revokedAt: at(1).toISOString() });
    expect(second).toMatchObject({ status: 'revoked', revokedAt: at(1).toISOString() });
    expect(await subject.store.findByHash(record.tokenHash)).toMatchObject({ status: 'revoked' });
    expect(await subject.store.revokeToken('tok_ffffffffffffffff', at(1))).toBeUndefined();
  });

  it('keeps a customer, and nothing for an unknown one', async () => {
    const customer = {
      customerId: 'kept',
      status: 'disabled' as const,
      eventAliases: { joined: 'Signed Up' },
      updatedAt: TEST_NOW.toISOString(),
    };
    await subject.store.putCustomer(customer);

    expect(await subject.store.getCustomer('kept')).toEqual(customer);
    expect(await subject.store.getCustomer('nobody')).toBeUndefined();
  });

  it('records a use, at most once per resolution window', async () => {
    const record = key();
    await subject.store.putToken(record);

    await subject.store.recordUse(record.tokenHash, at(10), at(5));
    await subject.settle();
    await subject.store.recordUse(record.tokenHash, at(11), at(6)); // already used after at(6): kept
    await subject.settle();

    expect((await subject.store.findByHash(record.tokenHash))?.lastUsedAt).toBe(at(10).toISOString());
  });
});
