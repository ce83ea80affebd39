import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as v from 'valibot';
import { DynamoTokenStore, readCapacityTag } from '../../adapters/aws/dynamo-token-store';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { type Flag, UsageError } from '../../cli/command';
import { CAPACITY_TAG } from '../../domain/contract/token-table';
import { capacityWarning } from '../../domain/core/capacity/capacity-warning';
import type { TokenStore } from '../../domain/core/keys/token-store';
import { readLocalConfig } from '../../local/config';

/*
 * What the `npm run tokens` subcommands share: where keys are stored, and how a command speaks.
 */

/** `--table`: every subcommand can work on the deployed table instead of the local file. */
export const TABLE = {
  table: {
    kind: 'value',
    schema: v.pipe(v.string(), v.minLength(1, 'a table name')),
    unit: 'name',
    description:
      'the deployed DynamoDB table (stack output TokensTableName), with the standard AWS credential chain',
  },
} as const satisfies Record<string, Flag>;
export const WHERE = [
  'Without --table, keys are stored in $DATA_DIR/tokens.json (default .data/tokens.json).',
];
export const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
export const now = () => new Date();

/** A free-text value flag. */
export function textFlag(unit: string, description: string) {
  return {
    kind: 'value',
    schema: v.pipe(v.string(), v.minLength(1, `a ${unit}`)),
    unit,
    description,
  } as const;
}

/** A flag the subcommand cannot do without: its absence is a usage error naming it. */
export function required(value: string | undefined, flag = '--customer <id>'): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

/**
 * On the deployed table, says on stderr (stdout stays the key or its JSON) when the stack now serves more
 * customers than its `maxCustomers`, which the stack tags on the table. The local destination has no
 * Firehose quota to outgrow.
 */
export async function warnOverCapacity(store: TokenStore, table: string | undefined): Promise<void> {
  if (!table) return;
  let maxCustomers: number | undefined;
  try {
    maxCustomers = await readCapacityTag(new DynamoDBClient({}), table);
  } catch (error) {
    process.stderr.write(
      `tokens: could not read the stack's capacity (tag ${CAPACITY_TAG} of ${table}): ${(error as Error).message}\n`,
    );
    return;
  }
  if (maxCustomers === undefined) return;
  const warning = await capacityWarning(store, maxCustomers);
  if (warning) process.stderr.write(`\n${warning}\n\n`);
}

/** The local token file, or the deployed table when `--table` names one. */
export function storeFor(table: string | undefined): TokenStore {
  if (table) return new DynamoTokenStore(new DynamoDBClient({}), table);
  return new FileTokenStore(readLocalConfig(process.env).dataDir);
}
