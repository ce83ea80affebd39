import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { TOKEN_TABLE_INDEXES } from '../../domain/contract/token-table';

// The emulators ship without types; each is a function returning a node:http server.
const dynalite = require('dynalite') as (options?: object) => Server;
const kinesalite = require('kinesalite') as (options?: object) => Server;

export interface Emulator {
  endpoint: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<Emulator> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Real DynamoDB API in this process (in memory), on a random loopback port. */
export const startDynalite = () => listen(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));

/** Real Kinesis API in this process (in memory), on a random loopback port. */
export const startKinesalite = () =>
  listen(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 }));

/** Dummy credentials and a region: the emulators check the signature's shape, not its secret. */
export const emulatorClientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

/** The table lib/token-table.ts deploys, created through the real DynamoDB API. */
export async function createTokenTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const S = 'S' as const;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: S },
        { AttributeName: 'customerId', AttributeType: S },
        { AttributeName: 'createdAt', AttributeType: S },
        { AttributeName: 'tokenId', AttributeType: S },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: TOKEN_TABLE_INDEXES.byCustomer,
          KeySchema: [
            { AttributeName: 'customerId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: TOKEN_TABLE_INDEXES.byTokenId,
          KeySchema: [{ AttributeName: 'tokenId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
}

/** A Kinesis client for kinesalite (which needs HTTP/1.1). */
export function kinesaliteClient(endpoint: string): KinesisClient {
  return new KinesisClient({ ...emulatorClientConfig(endpoint), requestHandler: new NodeHttpHandler() });
}

/** Every JSON line of every record in a stream, shard by shard, from the start. */
export async function readStreamLines(
  client: KinesisClient,
  streamName: string,
): Promise<Record<string, unknown>[][]> {
  const { Shards } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const shards: Record<string, unknown>[][] = [];
  for (const shard of Shards ?? []) {
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await client.send(new GetRecordsCommand({ ShardIterator }));
    shards.push(
      (Records ?? []).flatMap((r) =>
        Buffer.from(r.Data!)
          .toString()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ),
    );
  }
  return shards;
}
