import { readFileSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import * as v from 'valibot';
import { DynamoTokenStore } from '../adapters/aws/dynamo-token-store';
import { FileTokenStore } from '../adapters/local/file-token-store';
import { FileSegmentWriteKeys, keyHint } from '../adapters/local/segment-write-keys';
import { type CommandGroup, type Flag, runCommandGroup, subcommand, UsageError } from '../cli/command';
import { customerFlag, jsonFlag } from '../cli/flags';
import { alignedTable } from '../cli/table';
import { DEFAULT_SEGMENT_SLUG } from '../domain/contract/audiences';
import { ENABLE_CALLBACK_PATH } from '../domain/contract/routes';
import { CAPACITY_TAG } from '../domain/contract/token-table';
import { capacityWarning } from '../domain/core/capacity/capacity-warning';
import { AdminInputError } from '../domain/core/common/errors';
import { setTrackingPlan } from '../domain/core/keys/plan-admin';
import {
  createToken,
  issueEnableLink,
  revokeToken,
  setCustomerStatus,
  setEventAlias,
  summarize,
} from '../domain/core/keys/token-admin';
import type { TokenStore } from '../domain/core/keys/token-store';
import { readLocalConfig } from '../local/config';
import { OPERATOR_COMMANDS } from '../local/console/operator-commands';

/** `--table`: every subcommand can work on the deployed table instead of the local file. */
const TABLE = {
  table: {
    kind: 'value',
    schema: v.pipe(v.string(), v.minLength(1, 'a table name')),
    unit: 'name',
    description:
      'the deployed DynamoDB table (stack output TokensTableName), with the standard AWS credential chain',
  },
} as const satisfies Record<string, Flag>;
const WHERE = ['Without --table, keys are stored in $DATA_DIR/tokens.json (default .data/tokens.json).'];
const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const now = () => new Date();

const TOKENS: CommandGroup = {
  name: 'npm run tokens --',
  summary:
    "Issues, lists and revokes API keys; sets a customer's status, event aliases and tracking plan; issues operator keys for the console.",
  notes: WHERE,
  // A refused admin input (an unknown key, a bad plan) is the caller's: exit 2, like a usage error.
  isInputError: (error) => error instanceof AdminInputError,
  commands: {
    create: subcommand(
      {
        summary: 'issue a new API key (shown once; only its hash is stored)',
        flags: {
          customer: customerFlag('the customer (required)'),
          json: jsonFlag('the key and its record as JSON'),
          ...TABLE,
        },
        notes: WHERE,
        examples: ['npm run tokens -- create --customer acme'],
      },
      async ({ values }) => {
        const store = storeFor(values.table);
        const { token, record } = await createToken(store, required(values.customer), now());
        await warnOverCapacity(store, values.table);
        if (values.json) return say(JSON.stringify({ token, ...summarize(record) }));
        say(
          [
            `Created key ${record.tokenId} for customer ${record.customerId}.`,
            '',
            `  ${token}`,
            '',
            'This is the only time the key is shown: put it in the destination settings in Segment (API Key).',
          ].join('\n'),
        );
      },
    ),
    'enable-link': subcommand(
      {
        summary: 'issue a key and print the Segment link that installs it',
        flags: {
          customer: customerFlag('the customer (required)'),
          slug: {
            kind: 'value',
            schema: v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/, 'a slug such as segment-lake-destination')),
            unit: 'slug',
            description: `the destination's slug in Segment's catalog (default $SEGMENT_SLUG or ${DEFAULT_SEGMENT_SLUG})`,
          },
          'redirect-url': {
            kind: 'value',
            schema: v.pipe(v.string(), v.minLength(1, 'an https URL')),
            unit: 'url',
            description: "where Segment sends the customer back (default: the local server's callback page)",
          },
          'allow-http-localhost': { kind: 'switch', description: 'accept an http redirect on localhost' },
          json: jsonFlag('the key, its record and the link as JSON'),
          ...TABLE,
        },
        examples: [
          'npm run tokens -- enable-link --customer acme --redirect-url https://app.example.com/segment/done',
        ],
      },
      async ({ values }) => {
        const store = storeFor(values.table);
        const local = readLocalConfig(process.env);
        const redirectUrl =
          values['redirect-url'] ?? `http://${local.host}:${local.port}${ENABLE_CALLBACK_PATH}`;
        checkRedirectUrl(redirectUrl, values['allow-http-localhost'] || values['redirect-url'] === undefined);
        const issued = await issueEnableLink(
          store,
          required(values.customer),
          { slug: values.slug ?? process.env.SEGMENT_SLUG ?? DEFAULT_SEGMENT_SLUG, redirectUrl },
          now(),
        );
        await warnOverCapacity(store, values.table);
        if (values.json)
          return say(
            JSON.stringify({ token: issued.token, ...summarize(issued.record), enableUrl: issued.enableUrl }),
          );
        say(
          [
            `Created key ${issued.record.tokenId} for customer ${issued.record.customerId}.`,
            '',
            "Send the customer's browser to this link; Segment installs the destination with the key:",
            '',
            `  ${issued.enableUrl}`,
            '',
            'The link carries the key: share it only with that customer.',
          ].join('\n'),
        );
      },
    ),
    disable: statusCommand('disabled'),
    enable: statusCommand('enabled'),
    list: subcommand(
      {
        summary: 'list keys (metadata only)',
        flags: {
          customer: customerFlag("only this customer's keys"),
          json: jsonFlag('a JSON array'),
          ...TABLE,
        },
        examples: ['npm run tokens -- list --customer acme'],
      },
      async ({ values }) => {
        const tokens = (await storeFor(values.table).listTokens(values.customer)).map(summarize);
        if (values.json) return say(JSON.stringify(tokens));
        if (tokens.length === 0) return say(values.customer ? `No keys for ${values.customer}.` : 'No keys.');
        // lastUsedAt is what the rotation runbook watches: is the old key still in use?
        say(
          alignedTable([
            ['KEY', 'CUSTOMER', 'STATUS', 'CREATED', 'LAST USED', 'REVOKED'],
            ...tokens.map((t) => [
              t.tokenId,
              t.customerId,
              t.status,
              t.createdAt,
              t.lastUsedAt ?? '-',
              t.revokedAt ?? '-',
            ]),
          ]),
        );
      },
    ),
    revoke: subcommand(
      {
        summary: 'revoke a key; the local server refuses it within ~1 s',
        flags: { json: jsonFlag('the revoked record as JSON'), ...TABLE },
        positionals: { names: ['tokenId'], required: 1 },
        examples: ['npm run tokens -- revoke tok_0123456789abcdef'],
      },
      async ({ values, positionals: [tokenId] }) => {
        const revoked = await revokeToken(storeFor(values.table), tokenId!, now());
        say(
          values.json
            ? JSON.stringify(revoked)
            : `Revoked ${revoked.tokenId} (customer ${revoked.customerId}).`,
        );
      },
    ),
    'alias set': subcommand(
      {
        summary: "map a customer's own event name to a canonical one",
        flags: {
          customer: customerFlag('the customer (required)'),
          from: textFlag('name', "the customer's spelling (required)"),
          to: textFlag('canonical', 'the canonical event name (required)'),
          json: jsonFlag('the customer record as JSON'),
          ...TABLE,
        },
        examples: ['npm run tokens -- alias set --customer acme --from "signup done" --to "Signed Up"'],
      },
      async ({ values }) => {
        const from = required(values.from, '--from <name>');
        const to = required(values.to, '--to <canonical>');
        const updated = await setEventAlias(
          storeFor(values.table),
          required(values.customer),
          from,
          to,
          now(),
        );
        say(values.json ? JSON.stringify(updated) : `Customer ${updated.customerId}: "${from}" → "${to}".`);
      },
    ),
    'alias list': subcommand(
      {
        summary: "the customer's event aliases",
        flags: { customer: customerFlag('the customer (required)'), json: jsonFlag('on one line'), ...TABLE },
        examples: ['npm run tokens -- alias list --customer acme'],
      },
      async ({ values }) => {
        const found = await storeFor(values.table).getCustomer(required(values.customer));
        say(JSON.stringify(found?.eventAliases ?? {}, null, values.json ? 0 : 2));
      },
    ),
    'plan set': subcommand(
      {
        summary: "set the customer's tracking plan (docs/data-quality.md)",
        flags: {
          customer: customerFlag('the customer (required)'),
          file: textFlag('plan.json', 'the plan, as JSON (required)'),
          json: jsonFlag('the plan as stored'),
          ...TABLE,
        },
        examples: ['npm run tokens -- plan set --customer acme --file plan.json'],
      },
      async ({ values }) => {
        const file = required(values.file, '--file <plan.json>');
        let plan: unknown;
        try {
          plan = JSON.parse(readFileSync(file, 'utf8'));
        } catch (error) {
          throw new AdminInputError(`Cannot read ${file} as JSON: ${(error as Error).message}`);
        }
        const updated = await setTrackingPlan(storeFor(values.table), required(values.customer), plan, now());
        const events = Object.keys(updated.trackingPlan?.events ?? {}).length;
        say(
          values.json
            ? JSON.stringify(updated.trackingPlan)
            : `Customer ${updated.customerId}: tracking plan set (${events} events, mode ${updated.trackingPlan?.mode}). It applies within the authorizer cache TTL.`,
        );
      },
    ),
    'plan show': subcommand(
      {
        summary: "print the customer's tracking plan",
        flags: { customer: customerFlag('the customer (required)'), json: jsonFlag('on one line'), ...TABLE },
        examples: ['npm run tokens -- plan show --customer acme'],
      },
      async ({ values }) => {
        const customer = required(values.customer);
        const found = await storeFor(values.table).getCustomer(customer);
        if (!found?.trackingPlan) throw new AdminInputError(`Customer ${customer} has no tracking plan.`);
        say(JSON.stringify(found.trackingPlan, null, values.json ? 0 : 2));
      },
    ),
    'segment-key set': subcommand(
      {
        summary: "store the customer's Segment source write key (npm run audience -- sync sends with it)",
        flags: {
          customer: customerFlag('the customer (required)'),
          'write-key': textFlag(
            'key',
            'the write key of the Segment source the predictions go to (required)',
          ),
        },
        notes: [
          'Stored as a secret ($DATA_DIR/secrets/, mode 0600) and never printed back: only its last four characters.',
          'Segment accepts any key with 200, so a wrong one cannot be detected by sending: compare the four',
          'characters with Segment → Connections → Sources → <source> → Settings → API Keys.',
        ],
        examples: ['npm run tokens -- segment-key set --customer acme --write-key <key>'],
      },
      ({ values }) => {
        const customer = required(values.customer);
        const writeKey = required(values['write-key'], '--write-key <key>');
        new FileSegmentWriteKeys(readLocalConfig(process.env).dataDir).set(customer, writeKey);
        say(
          `Segment write key for ${customer} set (${keyHint(writeKey)}). Check those four characters against the source's write key in Segment (Connections → Sources → Settings → API Keys).`,
        );
      },
    ),
    ...OPERATOR_COMMANDS,
    'plan clear': subcommand(
      {
        summary: "remove the customer's tracking plan",
        flags: {
          customer: customerFlag('the customer (required)'),
          json: jsonFlag('null on success'),
          ...TABLE,
        },
        examples: ['npm run tokens -- plan clear --customer acme'],
      },
      async ({ values }) => {
        const updated = await setTrackingPlan(
          storeFor(values.table),
          required(values.customer),
          undefined,
          now(),
        );
        say(values.json ? JSON.stringify(null) : `Customer ${updated.customerId}: tracking plan cleared.`);
      },
    ),
  },
};

/** `disable` and `enable`: the same command, two statuses. */
function statusCommand(status: 'enabled' | 'disabled') {
  return subcommand(
    {
      summary:
        status === 'disabled'
          ? "refuse the customer's requests (403) until enabled again"
          : "accept the customer's requests again",
      flags: {
        customer: customerFlag('the customer (required)'),
        json: jsonFlag('the customer record'),
        ...TABLE,
      },
      examples: [`npm run tokens -- ${status === 'disabled' ? 'disable' : 'enable'} --customer acme`],
    },
    async ({ values }) => {
      const updated = await setCustomerStatus(
        storeFor(values.table),
        required(values.customer),
        status,
        now(),
      );
      say(values.json ? JSON.stringify(updated) : `Customer ${updated.customerId} is ${updated.status}.`);
    },
  );
}

/** A free-text value flag. */
function textFlag(unit: string, description: string) {
  return {
    kind: 'value',
    schema: v.pipe(v.string(), v.minLength(1, `a ${unit}`)),
    unit,
    description,
  } as const;
}

/** A flag the subcommand cannot do without: its absence is a usage error naming it. */
function required(value: string | undefined, flag = '--customer <id>'): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
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

runCommandGroup(TOKENS);
