import * as v from 'valibot';
import { subcommand } from '../../cli/command';
import { customerFlag, jsonFlag } from '../../cli/flags';
import { alignedTable } from '../../cli/table';
import { DEFAULT_SEGMENT_SLUG } from '../../domain/contract/audiences';
import { ENABLE_CALLBACK_PATH } from '../../domain/contract/routes';
import { AdminInputError } from '../../domain/core/common/errors';
import { createToken, issueEnableLink, revokeToken, summarize } from '../../domain/core/keys/token-admin';
import { readLocalConfig } from '../../local/config';
import { now, required, say, storeFor, TABLE, WHERE, warnOverCapacity } from './common';

/** Issuing, listing and revoking API keys, and the Segment link that installs one. */
export const KEY_COMMANDS = {
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
};

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
