import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { DynamoTokenStore } from '../adapters/aws/dynamo-token-store';
import { FileTokenStore } from '../adapters/local/file-token-store';
import { CAPACITY_TAG } from '../domain/contract/token-table';
import { capacityWarning } from '../domain/core/capacity/capacity-warning';
import { AdminInputError } from '../domain/core/common/errors';
import {
  createToken,
  issueEnableLink,
  revokeToken,
  setCustomerStatus,
  setEventAlias,
  setTrackingPlan,
  summarize,
} from '../domain/core/keys/token-admin';
import type { TokenStore } from '../domain/core/keys/token-store';
import { readLocalConfig } from '../local/config';
import { usageErrorOf } from '../scripts/cli/command';
import { alignedTable } from '../scripts/cli/table';

const OPTIONS = {
  customer: { type: 'string' },
  json: { type: 'boolean', default: false },
  slug: { type: 'string' },
  'redirect-url': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  table: { type: 'string' },
  file: { type: 'string' },
  'allow-http-localhost': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
const FLAG_NAMES = Object.keys(OPTIONS);

const USAGE = `Usage: npm run tokens -- <command> [options]

  create --customer <id> [--json]         issue a new API key (shown once; only its hash is stored)
  enable-link --customer <id> [--slug <s>] [--redirect-url <https url>] [--allow-http-localhost] [--json]
                                          issue a key and print the Segment link that installs it
  disable --customer <id>                 refuse the customer's requests (403) until enabled again
  enable --customer <id>
  list [--customer <id>] [--json]         list keys (metadata only)
  revoke <tokenId>                        revoke a key; the local server refuses it within ~1 s
  alias set --customer <id> --from <name> --to <canonical>
                                          map a customer's own event name to a canonical one
  alias list --customer <id>
  plan set --customer <id> --file <plan.json>
                                          set the customer's tracking plan (docs/data-quality.md)
  plan show --customer <id>               print it
  plan clear --customer <id>              remove it

Options for every command:
  --table <name>   use the deployed DynamoDB table (stack output TokensTableName) with the
                   standard AWS credential chain (AWS_PROFILE, AWS_REGION, ...)
Without --table, keys are stored in $DATA_DIR/tokens.json (default .data/tokens.json).`;

async function run(argv: string[], storeFor: (table: string | undefined) => TokenStore): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
  });
  const [command, ...rest] = positionals;
  // Positionals each command takes: revoke its token id, alias and plan a subcommand, the rest none.
  const takes: Record<string, number> = { revoke: 1, alias: 1, plan: 1 };
  if (command && rest.length > (takes[command] ?? 0))
    throw new AdminInputError(`tokens ${command}: unexpected argument "${rest[takes[command] ?? 0]}"`);
  if (values.help || !command) return USAGE;
  const store = storeFor(values.table);
  const customer = () => {
    if (!values.customer) throw new AdminInputError('--customer <id> is required.');
    return values.customer;
  };
  switch (command) {
    case 'create': {
      const { token, record } = await createToken(store, customer(), new Date());
      await warnOverCapacity(store, values.table);
      if (values.json) return JSON.stringify({ token, ...summarize(record) });
      return [
        `Created key ${record.tokenId} for customer ${record.customerId}.`,
        '',
        `  ${token}`,
        '',
        'This is the only time the key is shown: put it in the destination settings in Segment (API Key).',
      ].join('\n');
    }
    case 'list': {
      const tokens = (await store.listTokens(values.customer)).map(summarize);
      if (values.json) return JSON.stringify(tokens);
      if (tokens.length === 0) return 'No keys.';
      // lastUsedAt is what the rotation runbook watches: is the old key still in use?
      const rows = [
        ['KEY', 'CUSTOMER', 'STATUS', 'CREATED', 'LAST USED', 'REVOKED'],
        ...tokens.map((t) => [
          t.tokenId,
          t.customerId,
          t.status,
          t.createdAt,
          t.lastUsedAt ?? '-',
          t.revokedAt ?? '-',
        ]),
      ];
      return alignedTable(rows);
    }
    case 'revoke': {
      const tokenId = rest[0];
      if (!tokenId) throw new AdminInputError('revoke needs a token id: npm run tokens -- revoke <tokenId>');
      const revoked = await revokeToken(store, tokenId, new Date());
      return values.json
        ? JSON.stringify(revoked)
        : `Revoked ${revoked.tokenId} (customer ${revoked.customerId}).`;
    }
    case 'enable-link': {
      const local = readLocalConfig(process.env);
      const redirectUrl = values['redirect-url'] ?? `http://${local.host}:${local.port}/enable/callback`;
      checkRedirectUrl(redirectUrl, values['allow-http-localhost'] || values['redirect-url'] === undefined);
      const issued = await issueEnableLink(
        store,
        customer(),
        {
          slug: values.slug ?? process.env.SEGMENT_SLUG ?? 'segment-lake-destination',
          redirectUrl,
        },
        new Date(),
      );
      await warnOverCapacity(store, values.table);
      if (values.json)
        return JSON.stringify({
          token: issued.token,
          ...summarize(issued.record),
          enableUrl: issued.enableUrl,
        });
      return [
        `Created key ${issued.record.tokenId} for customer ${issued.record.customerId}.`,
        '',
        "Send the customer's browser to this link; Segment installs the destination with the key:",
        '',
        `  ${issued.enableUrl}`,
        '',
        'The link carries the key: share it only with that customer.',
      ].join('\n');
    }
    case 'disable':
    case 'enable': {
      const updated = await setCustomerStatus(
        store,
        customer(),
        command === 'disable' ? 'disabled' : 'enabled',
        new Date(),
      );
      return values.json ? JSON.stringify(updated) : `Customer ${updated.customerId} is ${updated.status}.`;
    }
    case 'alias': {
      if (rest[0] === 'set') {
        if (!values.from || !values.to)
          throw new AdminInputError('alias set needs --from <name> and --to <canonical>.');
        const updated = await setEventAlias(store, customer(), values.from, values.to, new Date());
        return values.json
          ? JSON.stringify(updated)
          : `Customer ${updated.customerId}: "${values.from}" → "${values.to}".`;
      }
      if (rest[0] === 'list') {
        const found = await store.getCustomer(customer());
        return JSON.stringify(found?.eventAliases ?? {}, null, values.json ? 0 : 2);
      }
      throw new AdminInputError('alias takes "set" or "list".');
    }
    case 'plan': {
      if (rest[0] === 'set') {
        if (!values.file) throw new AdminInputError('plan set needs --file <plan.json>.');
        let plan: unknown;
        try {
          plan = JSON.parse(readFileSync(values.file, 'utf8'));
        } catch (error) {
          throw new AdminInputError(`Cannot read ${values.file} as JSON: ${(error as Error).message}`);
        }
        const updated = await setTrackingPlan(store, customer(), plan, new Date());
        const events = Object.keys(updated.trackingPlan?.events ?? {}).length;
        return values.json
          ? JSON.stringify(updated.trackingPlan)
          : `Customer ${updated.customerId}: tracking plan set (${events} events, mode ${updated.trackingPlan?.mode}). It applies within the authorizer cache TTL.`;
      }
      if (rest[0] === 'show') {
        const found = await store.getCustomer(customer());
        if (!found?.trackingPlan) throw new AdminInputError(`Customer ${customer()} has no tracking plan.`);
        return JSON.stringify(found.trackingPlan, null, values.json ? 0 : 2);
      }
      if (rest[0] === 'clear') {
        const updated = await setTrackingPlan(store, customer(), undefined, new Date());
        return values.json ? JSON.stringify(null) : `Customer ${updated.customerId}: tracking plan cleared.`;
      }
      throw new AdminInputError('plan takes "set", "show" or "clear".');
    }
    default:
      throw new AdminInputError(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

/**
 * Where Segment sends the customer back: https only — a key-bearing flow must not come back in clear
 * text — except http on localhost, with --allow-http-localhost (the local destination's own page).
 */
function checkRedirectUrl(text: string, allowLocalHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AdminInputError(`--redirect-url must be an https URL, not "${text.slice(0, 80)}".`);
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && local && allowLocalHttp) return;
  throw new AdminInputError(
    local
      ? '--redirect-url is http on localhost: add --allow-http-localhost to mean it.'
      : `--redirect-url must be https, not ${url.protocol.replace(':', '')}.`,
  );
}

/**
 * On the deployed table, says on stderr (stdout stays the key or its JSON) when the stack now serves more
 * customers than its `maxCustomers`, which the stack tags on the table. The local destination has no
 * Firehose quota to outgrow.
 */
async function warnOverCapacity(store: TokenStore, table: string | undefined): Promise<void> {
  if (!table) return;
  let maxCustomers: number | undefined;
  try {
    const client = new DynamoDBClient({});
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const { Tags } = await client.send(new ListTagsOfResourceCommand({ ResourceArn: Table?.TableArn }));
    const tagged = Tags?.find((tag) => tag.Key === CAPACITY_TAG)?.Value;
    maxCustomers = tagged === undefined ? undefined : Number(tagged);
  } catch (error) {
    process.stderr.write(
      `tokens: could not read the stack's capacity (tag ${CAPACITY_TAG} of ${table}): ${(error as Error).message}\n`,
    );
    return;
  }
  if (maxCustomers === undefined || !Number.isInteger(maxCustomers)) return;
  const warning = await capacityWarning(store, maxCustomers);
  if (warning) process.stderr.write(`\n${warning}\n\n`);
}

/** The local token file, or the deployed table when `--table` names one. */
function storeFor(table: string | undefined): TokenStore {
  if (table) return new DynamoTokenStore(new DynamoDBClient({}), table);
  return new FileTokenStore(readLocalConfig(process.env).dataDir);
}

async function main(): Promise<void> {
  process.stdout.write(`${await run(process.argv.slice(2), storeFor)}\n`);
}

main().catch((thrown: Error) => {
  // Node's own text for an unknown flag is long and unquoted: name the flag and the closest one instead.
  const usage = usageErrorOf(thrown, FLAG_NAMES);
  if (usage) {
    console.error(`tokens: ${usage.message} (see --help)`);
    process.exit(2);
  }
  const known = thrown instanceof AdminInputError;
  console.error(known ? thrown.message : `tokens: ${thrown.name}: ${thrown.message}`);
  process.exit(known ? 2 : 1);
});
