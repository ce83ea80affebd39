import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requestPathClientConfig } from '../../../adapters/aws/clients';
import { DynamoFairShareCounter, LEASE_TIMEOUT_MS } from '../../../adapters/aws/dynamo-fair-share-counter';
import { type Emulator, emulatorClientConfig, startDynalite } from '../../support/emulators';

describe('the fair share’s shared count in DynamoDB (dynalite)', () => {
  let dynamo: Emulator;
  let counter: DynamoFairShareCounter;
  beforeAll(async () => {
    dynamo = await startDynalite();
    const client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
    await client.send(
      new CreateTableCommand({
        TableName: 'fair-share',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    );
    // A lease must be fast to count at all: the emulator is, so give it the production timeout × 10.
    counter = new DynamoFairShareCounter(client, 'fair-share', LEASE_TIMEOUT_MS * 10);
  });
  afterAll(() => dynamo.close());

  it('adds a lease only while the second’s count stays within the limit, per customer and second', async () => {
    expect(await counter.lease('acme', 100, 60, 100)).toBe(true);
    expect(await counter.lease('acme', 100, 40, 100)).toBe(true); // exactly at the limit
    expect(await counter.lease('acme', 100, 1, 100)).toBe(false);
    expect(await counter.lease('acme', 101, 100, 100)).toBe(true); // the next second
    expect(await counter.lease('other', 100, 100, 100)).toBe(true); // another customer
  });

  it('gives up within its timeout when the table does not answer, so the gate can fail open', async () => {
    const silent: Server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const stuck = new DynamoFairShareCounter(
      new DynamoDBClient({ ...requestPathClientConfig(), ...emulatorClientConfig(endpoint) }),
      'fair-share',
    );

    const start = performance.now();
    await expect(stuck.lease('acme', 1, 10, 100)).rejects.toThrow();
    const waited = performance.now() - start;
    silent.closeAllConnections();
    silent.close();

    // Well under the client's own 3 s request timeout: the lease's abort signal ended it.
    expect(waited).toBeLessThan(1_000);
  });
});
