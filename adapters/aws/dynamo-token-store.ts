import {
  DescribeTableCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import {
  CAPACITY_TAG,
  LAST_USED_ATTRIBUTE,
  TOKEN_INDEX_KEYS,
  TOKEN_KEY_ATTRIBUTE,
  TOKEN_TABLE_INDEXES,
} from '../../domain/contract/token-table';
import type { CustomerRecord, TokenStore } from '../../domain/core/keys/token-store';
import { CustomerRecordSchema, type TokenRecord, TokenRecordSchema } from '../../domain/core/keys/tokens';

/**
 * Keys and customers in one DynamoDB table (on-demand, PITR; see lib/token-table.ts):
 * - a key:      `pk = token#<sha256>` — the authorizer's lookup is one GetItem by hash;
 * - a customer: `pk = customer#<id>` — status and event aliases.
 * Index `byCustomer` (customerId, createdAt) lists a customer's keys; `byTokenId` finds a key to revoke.
 * Customer items have no `createdAt`, so they stay out of `byCustomer`.
 */

const tokenKey = (hash: string) => `token#${hash}`;
const customerKey = (id: string) => `customer#${id}`;

export class DynamoTokenStore implements TokenStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async findByHash(tokenHash: string, signal?: AbortSignal): Promise<TokenRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: tokenKey(tokenHash) } }),
      { abortSignal: signal },
    );
    return Item ? toToken(Item) : undefined;
  }

  async getCustomer(customerId: string, signal?: AbortSignal): Promise<CustomerRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: customerKey(customerId) } }),
      { abortSignal: signal },
    );
    return Item ? parseItem(CustomerRecordSchema, Item) : undefined;
  }

  async putToken(record: TokenRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: tokenKey(record.tokenHash), kind: 'token', ...record },
      }),
    );
  }

  async listTokens(customerId?: string): Promise<TokenRecord[]> {
    const items: Record<string, unknown>[] = [];
    const client = { client: this.documents };
    const pages: AsyncIterable<{ Items?: Record<string, unknown>[] }> =
      customerId === undefined
        ? paginateScan(client, {
            TableName: this.tableName,
            FilterExpression: 'kind = :token',
            ExpressionAttributeValues: { ':token': 'token' },
          })
        : paginateQuery(client, {
            TableName: this.tableName,
            IndexName: TOKEN_TABLE_INDEXES.byCustomer,
            KeyConditionExpression: `${TOKEN_INDEX_KEYS.byCustomer.partition} = :c`,
            ExpressionAttributeValues: { ':c': customerId },
          });
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items.map(toToken);
  }

  async revokeToken(tokenId: string, at: Date): Promise<TokenRecord | undefined> {
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: TOKEN_TABLE_INDEXES.byTokenId,
        KeyConditionExpression: `${TOKEN_INDEX_KEYS.byTokenId.partition} = :t`,
        ExpressionAttributeValues: { ':t': tokenId },
      }),
    );
    const pk = Items?.[0]?.pk;
    if (typeof pk !== 'string') return undefined;
    const { Attributes } = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk },
        UpdateExpression: 'SET #status = :revoked, revokedAt = if_not_exists(revokedAt, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':revoked': 'revoked', ':at': at.toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes ? toToken(Attributes) : undefined;
  }

  async recordUse(tokenHash: string, at: Date, notBefore: Date, signal?: AbortSignal): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tokenKey(tokenHash) },
          // Only the key and lastUsedAt, returning nothing: all the authorizer's role may write (lib/token-table.ts).
          UpdateExpression: `SET ${LAST_USED_ATTRIBUTE} = :at`,
          ConditionExpression: `attribute_exists(${TOKEN_KEY_ATTRIBUTE}) AND (attribute_not_exists(${LAST_USED_ATTRIBUTE}) OR ${LAST_USED_ATTRIBUTE} < :notBefore)`,
          ExpressionAttributeValues: { ':at': at.toISOString(), ':notBefore': notBefore.toISOString() },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      // Another authorizer instance recorded a use moments ago: nothing to do.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async putCustomer(record: CustomerRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: customerKey(record.customerId), kind: 'customer', ...record },
      }),
    );
  }
}

function toToken(item: Record<string, unknown>): TokenRecord {
  return parseItem(TokenRecordSchema, item);
}

/**
 * An item read back, parsed with the record's schema (unknown attributes such as `pk` and `kind` are
 * dropped). A damaged item is an error naming it — answered 500 and retried — never a record with
 * "undefined" in it.
 */
function parseItem<S extends v.GenericSchema>(schema: S, item: Record<string, unknown>): v.InferOutput<S> {
  const result = v.safeParse(schema, item);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw new Error(
    `tokens table item ${String(item.pk)} is damaged: ${v.getDotPath(issue) ?? 'item'}: ${issue.message}`,
  );
}

/**
 * The `maxCustomers` the stack tagged its tokens table with (CAPACITY_TAG), or undefined when the tag is
 * missing or not a whole number: what `npm run tokens -- create --table` compares the customers with.
 */
export async function readCapacityTag(
  client: DynamoDBClient,
  tableName: string,
): Promise<number | undefined> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const { Tags } = await client.send(new ListTagsOfResourceCommand({ ResourceArn: Table?.TableArn }));
  const tagged = Number(Tags?.find((tag) => tag.Key === CAPACITY_TAG)?.Value);
  return Number.isInteger(tagged) ? tagged : undefined;
}
