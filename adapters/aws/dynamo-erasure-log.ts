import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import {
  ERASED_FILTER_TTL_MS,
  type ErasureEntry,
  ErasureEntrySchema,
  type ErasureRequest,
} from '../../domain/contract/erasure';
import type { ErasedFilter, ErasureLog } from '../../domain/core/erasure/erasure-log';
import { erasedFilterOf, userHash } from '../../domain/core/erasure/user-hash';

/** The audit key's source: the stack's secret, fetched once per instance and only when needed. */
export type AuditKeySource = (signal?: AbortSignal) => Promise<Buffer>;

// Customers whose copy an instance keeps by default; the stack passes its `maxCustomers` (MAX_CUSTOMERS),
// so that every customer's copy fits and the cache never empties under a full load of customers.
const DEFAULT_MAX_CACHED_CUSTOMERS = 1_000;

/**
 * Delete requests and their audit in DynamoDB (lib/user-erasure.ts): partition key `customer_id`, sort
 * key `message_id`, the entry's fields as attributes. `record` is a conditional put, so a resent delete
 * changes nothing; the pass rewrites an entry whole when it is executed, without the user id.
 */
export class DynamoErasureLog implements ErasureLog {
  private readonly documents: DynamoDBDocumentClient;
  private key: Promise<Buffer> | undefined;
  private readonly filters = new Map<string, { at: number; filter: ErasedFilter | undefined }>();

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly keySource: AuditKeySource,
    private readonly now: () => number,
    /** Customers whose requests an instance keeps (the stack's maxCustomers). */
    private readonly maxCachedCustomers = DEFAULT_MAX_CACHED_CUSTOMERS,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  auditKey(signal?: AbortSignal): Promise<Buffer> {
    this.key ??= this.keySource(signal).catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  async hash(customerId: string, id: string, signal?: AbortSignal): Promise<string> {
    return userHash(await this.auditKey(signal), customerId, id);
  }

  async record(requests: readonly Omit<ErasureRequest, 'user_hash'>[], signal?: AbortSignal): Promise<void> {
    for (const request of requests) {
      const entry: ErasureEntry = {
        version: 1,
        status: 'pending',
        ...request,
        user_hash: await this.hash(request.customer_id, request.user_id, signal),
      };
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: entry,
            ConditionExpression: 'attribute_not_exists(message_id)',
          }),
          { abortSignal: signal },
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      this.filters.delete(request.customer_id);
    }
  }

  async erasedFilter(customerId: string, signal?: AbortSignal): Promise<ErasedFilter | undefined> {
    const known = this.filters.get(customerId);
    if (known && this.now() - known.at < ERASED_FILTER_TTL_MS) return known.filter;
    const entries = await this.list(customerId, signal);
    const filter =
      entries.length === 0
        ? undefined
        : erasedFilterOf(entries, hashWith(await this.auditKey(signal), customerId));
    if (this.filters.size >= this.maxCachedCustomers) this.filters.clear();
    this.filters.set(customerId, { at: this.now(), filter });
    return filter;
  }

  /** One customer's requests, oldest first. */
  async list(customerId: string, signal?: AbortSignal): Promise<ErasureEntry[]> {
    const out: ErasureEntry[] = [];
    const pages = paginateQuery(
      { client: this.documents },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'customer_id = :c',
        ExpressionAttributeValues: { ':c': customerId },
      },
      { abortSignal: signal },
    );
    for await (const page of pages) out.push(...(page.Items ?? []).map(parseEntry));
    return out.sort((a, b) => a.received_at.localeCompare(b.received_at));
  }

  /** Every pending request of every customer (a scan: the table holds requests, not events). */
  async pending(): Promise<ErasureEntry[]> {
    const out: ErasureEntry[] = [];
    const pages = paginateScan(
      { client: this.documents },
      {
        TableName: this.tableName,
        FilterExpression: '#s = :p',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':p': 'pending' },
      },
    );
    for await (const page of pages) out.push(...(page.Items ?? []).map(parseEntry));
    return out.sort((a, b) => a.received_at.localeCompare(b.received_at));
  }

  /** Replaces entries whole (an executed one has no `user_id`). */
  async replace(entries: readonly ErasureEntry[]): Promise<void> {
    for (const entry of entries)
      await this.documents.send(new PutCommand({ TableName: this.tableName, Item: entry }));
  }
}

const hashWith = (key: Buffer, customerId: string) => (id: string) => userHash(key, customerId, id);

function parseEntry(item: Record<string, unknown>): ErasureEntry {
  const result = v.safeParse(ErasureEntrySchema, item);
  if (!result.success)
    throw new Error(
      `erasure table item ${String(item.customer_id)}/${String(item.message_id)}: ${result.issues[0].message}`,
    );
  return result.output;
}
