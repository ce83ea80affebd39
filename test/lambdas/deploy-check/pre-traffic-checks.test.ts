import { silentLogger } from '../../../adapters/system/json-logger';
import { DEFAULT_RETRY_POLICY } from '../../../domain/core/ingest/deliver';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { createToken } from '../../../domain/core/keys/token-admin';
import { createAuthorizerHandler } from '../../../lambdas/authorizer/create-authorizer-handler';
import { createDeployCheckHandler } from '../../../lambdas/deploy-check/create-deploy-check-handler';
import {
  DEPLOY_CHECK_CUSTOMER,
  type NewVersions,
  preTrafficChecks,
} from '../../../lambdas/deploy-check/pre-traffic-checks';
import { createIngestHandler } from '../../../lambdas/ingest/create-ingest-handler';
import { createFakeClock, lambdaContext, TEST_NOW } from '../../support/factories';
import { MemorySink } from '../../support/memory/memory-sink';
import { MemoryTokenStore } from '../../support/memory/memory-token-store';

/** The real handlers, as a new release would deploy them: memory adapters in place of AWS. */
async function release() {
  const tokens = new MemoryTokenStore();
  const { token } = await createToken(tokens, DEPLOY_CHECK_CUSTOMER, TEST_NOW);
  const sink = new MemorySink();
  const authorizer = createAuthorizerHandler({ tokens, logger: silentLogger, clock: createFakeClock() });
  const ingest = createIngestHandler({
    sink,
    clock: createFakeClock(),
    retry: DEFAULT_RETRY_POLICY,
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  });
  const versions: NewVersions = {
    authorize: (event) => authorizer(event, lambdaContext),
    ingest: (event) => ingest(event, lambdaContext),
  };
  return { versions, token, sink };
}

describe('the pre-traffic check a deployment runs before moving any traffic', () => {
  it('passes a good release: every Spec call type, a batch, gzip, the planted bad messages, both keys', async () => {
    const { versions, token, sink } = await release();

    const results = await preTrafficChecks(versions, token, TEST_NOW);

    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual([
      'the authorizer admits the check key',
      'a wrong key is refused with 401',
      ...['identify', 'track', 'page', 'screen', 'group', 'alias'].map(
        (t) => `the ingest function takes Segment's ${t} example`,
      ),
      'the ingest function takes a batch, quarantining the planted bad messages',
      'the ingest function takes the same batch gzipped',
    ]);
    // Its data is the reserved customer's alone.
    expect(new Set(sink.lines('events').map((e) => e.customer_id))).toEqual(new Set([DEPLOY_CHECK_CUSTOMER]));
  });

  it('fails a release whose ingest function answers 400 to everything', async () => {
    const { versions, token } = await release();
    const broken: NewVersions = {
      ...versions,
      ingest: async () => ({ statusCode: 400, body: '{"code":"invalid_message","message":"no"}' }),
    };

    const failed = (await preTrafficChecks(broken, token, TEST_NOW)).filter((r) => !r.ok);

    expect(failed.map((r) => r.name)).toContain("the ingest function takes Segment's track example");
    expect(failed.find((r) => r.name.endsWith('track example'))!.detail).toMatch(/^answered 400/);
  });

  it('fails a release whose authorizer refuses valid keys, or admits any', async () => {
    const { versions, token } = await release();
    const refusing: NewVersions = { ...versions, authorize: async () => ({ isAuthorized: false }) };
    const admitting: NewVersions = {
      ...versions,
      authorize: async () => ({ isAuthorized: true, context: { customerId: DEPLOY_CHECK_CUSTOMER } }),
    };

    const refused = await preTrafficChecks(refusing, token, TEST_NOW);
    const admitted = await preTrafficChecks(admitting, token, TEST_NOW);

    expect(refused[0]).toMatchObject({ name: 'the authorizer admits the check key', ok: false });
    expect(admitted.find((r) => r.name === 'a wrong key is refused with 401')).toMatchObject({
      ok: false,
    });
  });

  it('fails a release that stops quarantining a planted bad message with its reason', async () => {
    const { versions, token } = await release();
    const lenient: NewVersions = {
      ...versions,
      ingest: async (event) => {
        const answer = await versions.ingest(event);
        const body = JSON.parse(answer.body);
        return answer.statusCode === 200 && body.errors?.length
          ? { ...answer, body: JSON.stringify({ ...body, errors: [] }) }
          : answer;
      },
    };

    const failed = (await preTrafficChecks(lenient, token, TEST_NOW)).filter((r) => !r.ok);

    expect(failed.map((r) => r.detail)).toContain('planted message 0: reason none, expected missing_field');
  });
});

describe('the pre-traffic hook CodeDeploy calls', () => {
  async function hook(broken = false) {
    const { versions, sink } = await release();
    // The hook issues its own key in the table the authorizer reads: share the release's store.
    const tokens = new MemoryTokenStore();
    const authorizer = createAuthorizerHandler({ tokens, logger: silentLogger, clock: createFakeClock() });
    const reports: [string, string, string][] = [];
    const handler = createDeployCheckHandler({
      tokens,
      phase: 'pre',
      post: async () => ({ status: 500 }),
      versions: {
        authorize: (event) => authorizer(event, lambdaContext),
        ingest: broken ? async () => ({ statusCode: 400, body: '{}' }) : versions.ingest,
      },
      report: async (...args) => {
        reports.push(args);
      },
      clock: createFakeClock(),
      logger: silentLogger,
    });
    return { handler, reports, tokens, sink };
  }

  it('tells CodeDeploy Succeeded for a good release, and revokes the key it used', async () => {
    const { handler, reports, tokens } = await hook();

    const answer = await handler({ DeploymentId: 'd-1', LifecycleEventHookExecutionId: 'h-1' });

    expect(answer).toEqual({ status: 'Succeeded' });
    expect(reports).toEqual([['d-1', 'h-1', 'Succeeded']]);
    expect((await tokens.listTokens(DEPLOY_CHECK_CUSTOMER)).map((t) => t.status)).toEqual(['revoked']);
  });

  it('tells CodeDeploy Failed for a release that answers 400 to valid messages: no traffic moves', async () => {
    const { handler, reports } = await hook(true);

    await handler({ DeploymentId: 'd-2', LifecycleEventHookExecutionId: 'h-2' });

    expect(reports).toEqual([['d-2', 'h-2', 'Failed']]);
  });
});
