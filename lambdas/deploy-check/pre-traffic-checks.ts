import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import {
  authorizerEvent,
  type IngestEvent,
  integrationEvent,
  localRequest,
} from '../../adapters/aws/api-gateway-events';
import { authorizationFor, TOKEN_PREFIX } from '../../domain/core/keys/tokens';
import missingEvent from './segment-examples/invalid/track-without-event.json';
import unsupportedType from './segment-examples/invalid/unsupported-type.json';
import aliasExample from './segment-examples/valid/alias-spec-example.json';
import groupExample from './segment-examples/valid/group-spec-example.json';
import identifyExample from './segment-examples/valid/identify-spec-example.json';
import pageExample from './segment-examples/valid/page-spec-example.json';
import screenExample from './segment-examples/valid/screen-spec-example.json';
import trackExample from './segment-examples/valid/track-spec-example.json';

/**
 * The reserved customer whose key the deployment checks use: its events land under its own partition,
 * never counted with a real customer's.
 */
export const DEPLOY_CHECK_CUSTOMER = 'deploy-check';

/** The new versions, as the check calls them (the Lambda API on AWS, the handlers themselves in tests). */
export interface NewVersions {
  authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<{ isAuthorized: boolean; context?: unknown }>;
  ingest(event: IngestEvent): Promise<{ statusCode: number; body: string }>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** Segment's Spec example of every call type: what a release must accept, whatever else it changes. */
const SPEC_EXAMPLES: Record<string, Record<string, unknown>> = {
  identify: identifyExample,
  track: trackExample,
  page: pageExample,
  screen: screenExample,
  group: groupExample,
  alias: aliasExample,
};
/** Messages a release must refuse, each with the quarantine reason the contract promises. */
const PLANTED_BAD = [missingEvent, unsupportedType] as { expectedReason: string; message: unknown }[];

/**
 * Before a deployment moves any traffic: the new authorizer admits the check key and refuses a wrong
 * one; the new ingest function answers 200 to every Spec call type alone, to a batch of them, and to
 * the same batch gzipped, and reports the planted bad messages with the reasons the contract names.
 * Every message gets a fresh messageId of this run, so nothing a customer sent is ever touched.
 */
export async function preTrafficChecks(
  versions: NewVersions,
  key: string,
  now: Date,
): Promise<CheckResult[]> {
  const run = randomBytes(6).toString('hex');
  const results: CheckResult[] = [];
  const check = async (name: string, body: () => Promise<string>) => {
    try {
      results.push({ name, ok: true, detail: await body() });
    } catch (error) {
      results.push({ name, ok: false, detail: (error as Error).message });
    }
  };
  const authorize = (presented: string) =>
    versions.authorize(
      authorizerEvent(
        localRequest({ headers: { authorization: authorizationFor(presented) } }),
        `check-${run}`,
        now,
      ),
    );

  let context: Record<string, unknown> | undefined;
  await check('the authorizer admits the check key', async () => {
    const verdict = await authorize(key);
    const customerId = (verdict.context as { customerId?: unknown } | undefined)?.customerId;
    if (!verdict.isAuthorized || customerId !== DEPLOY_CHECK_CUSTOMER)
      throw new Error(
        `refused the check key (authorized ${verdict.isAuthorized}, customer ${String(customerId)})`,
      );
    context = verdict.context as Record<string, unknown>;
    return `customer ${customerId}`;
  });
  if (!context) return results; // nothing to send the ingest function as

  const tagged = (name: string, message: unknown) => ({
    ...(message as Record<string, unknown>),
    messageId: `deploy-check-${run}-${name}`,
  });
  const send = (body: string | Buffer, headers: Record<string, string> = {}) =>
    versions.ingest(
      integrationEvent(
        localRequest({ body, headers: { 'content-type': 'application/json', ...headers } }),
        `check-${run}`,
        now,
        context!,
      ),
    );
  // An unknown key passes the authorizer with a `denied` reason, and the ingest function answers 401
  // (docs/architecture.md, "Why the authorizer lets denied requests through").
  await check('a wrong key is refused with 401', async () => {
    const verdict = await authorize(`${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`);
    if (!verdict.isAuthorized) return 'refused by the authorizer';
    const answer = await versions.ingest(
      integrationEvent(
        localRequest({ body: JSON.stringify(tagged('wrong-key', SPEC_EXAMPLES.track)) }),
        `check-${run}`,
        now,
        verdict.context as Record<string, unknown>,
      ),
    );
    if (answer.statusCode !== 401) throw new Error(`a wrong key was answered ${answer.statusCode}`);
    return '401';
  });
  const expect200 = async (answer: { statusCode: number; body: string }) => {
    if (answer.statusCode !== 200)
      throw new Error(`answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`);
    return JSON.parse(answer.body) as { accepted: number; errors: { index: number; code: string }[] };
  };

  for (const [type, example] of Object.entries(SPEC_EXAMPLES))
    await check(`the ingest function takes Segment's ${type} example`, async () => {
      const report = await expect200(await send(JSON.stringify(tagged(type, example))));
      if (report.accepted !== 1) throw new Error(`accepted ${report.accepted} of 1`);
      return '200, accepted';
    });
  const batch = [
    ...Object.entries(SPEC_EXAMPLES).map(([type, example]) => tagged(`batch-${type}`, example)),
    ...PLANTED_BAD.map((bad, i) => tagged(`batch-bad-${i}`, bad.message)),
  ];
  const good = Object.keys(SPEC_EXAMPLES).length;
  const batchChecks = async (answer: { statusCode: number; body: string }) => {
    const report = await expect200(answer);
    if (report.accepted !== good) throw new Error(`accepted ${report.accepted} of ${good}`);
    PLANTED_BAD.forEach((bad, i) => {
      const error = report.errors.find((e) => e.index === good + i);
      if (error?.code !== bad.expectedReason)
        throw new Error(
          `planted message ${i}: reason ${error?.code ?? 'none'}, expected ${bad.expectedReason}`,
        );
    });
    return `200, ${good} accepted, ${PLANTED_BAD.length} quarantined with their reasons`;
  };
  await check('the ingest function takes a batch, quarantining the planted bad messages', async () =>
    batchChecks(await send(JSON.stringify({ batch }))),
  );
  await check('the ingest function takes the same batch gzipped', async () =>
    batchChecks(
      await send(
        gzipSync(JSON.stringify({ batch: batch.map((m) => ({ ...m, messageId: `${m.messageId}-gz` })) })),
        { 'content-encoding': 'gzip' },
      ),
    ),
  );
  return results;
}
