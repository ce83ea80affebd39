import * as v from 'valibot';
import { FileOperatorStore } from '../../adapters/local/file-operator-store';
import { type Subcommand, subcommand } from '../../cli/command';
import { jsonFlag } from '../../cli/flags';
import { alignedTable } from '../../cli/table';
import { OperatorNameSchema, summarizeOperator } from '../../domain/core/keys/operator-keys';
import { readLocalConfig } from '../config';

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const store = () => new FileOperatorStore(readLocalConfig(process.env).dataDir);
const WHERE = [
  'Operator keys open the console of `npm start` (/console/); they are stored hashed in $DATA_DIR/operators.json,',
  "apart from customers' keys, and are refused at /v1/*.",
];

/** `npm run tokens -- operator create|list|revoke`: keys for the console, never for sending events. */
export const OPERATOR_COMMANDS: Record<string, Subcommand> = {
  'operator create': subcommand(
    {
      summary: 'issue an operator key for the console (shown once; only its hash is stored)',
      flags: {
        name: {
          kind: 'value',
          schema: OperatorNameSchema,
          unit: 'name',
          description:
            "who holds it: shown in the console and logged with the operator's actions (default the key id)",
        },
        json: jsonFlag('{"token", "tokenId", "name"}'),
      },
      notes: WHERE,
      examples: ['npm run tokens -- operator create --name "Dana (on call)"'],
    },
    async ({ values }) => {
      const { token, record } = await store().create(values.name as string | undefined, new Date());
      if (values.json) return say(JSON.stringify({ token, tokenId: record.tokenId, name: record.name }));
      say(
        [
          `Created operator key ${record.tokenId} (${record.name}).`,
          '',
          `  ${token}`,
          '',
          'This is the only time the key is shown. Sign in at the console of `npm start` with it.',
        ].join('\n'),
      );
    },
  ),
  'operator list': subcommand(
    {
      summary: 'list operator keys (metadata only)',
      flags: { json: jsonFlag('a JSON array') },
      examples: ['npm run tokens -- operator list'],
    },
    ({ values }) => {
      const operators = store().all().map(summarizeOperator);
      if (values.json) return say(JSON.stringify(operators));
      if (operators.length === 0) return say('No operator keys.');
      say(
        alignedTable([
          ['KEY', 'NAME', 'STATUS', 'CREATED', 'REVOKED'],
          ...operators.map((o) => [o.tokenId, o.name, o.status, o.createdAt, o.revokedAt ?? '-']),
        ]),
      );
    },
  ),
  'operator revoke': subcommand(
    {
      summary: 'revoke an operator key; its console sessions end at their next request',
      flags: { json: jsonFlag('the revoked key as JSON') },
      positionals: { names: ['tokenId'], required: 1 },
      examples: ['npm run tokens -- operator revoke opk_0123456789abcdef'],
    },
    async ({ values, positionals: [tokenId] }) => {
      const revoked = summarizeOperator(await store().revoke(v.parse(v.string(), tokenId), new Date()));
      say(values.json ? JSON.stringify(revoked) : `Revoked ${revoked.tokenId} (${revoked.name}).`);
    },
  ),
};
