import * as v from 'valibot';
import type { Clock, Logger } from '../../domain/core/common/ports';
import { createToken, revokeToken } from '../../domain/core/keys/token-admin';
import type { TokenStore } from '../../domain/core/keys/token-store';
import { postTrafficChecks } from './post-traffic-checks';
import { DEPLOY_CHECK_CUSTOMER, type NewVersions, preTrafficChecks } from './pre-traffic-checks';

/** What CodeDeploy sends a lifecycle hook. */
const HookEvent = v.object({
  DeploymentId: v.pipe(v.string(), v.minLength(1)),
  LifecycleEventHookExecutionId: v.pipe(v.string(), v.minLength(1)),
});

export interface DeployCheckDeps {
  tokens: TokenStore;
  /** `pre`: the new versions, invoked directly, before traffic moves; `post`: the public endpoint after. */
  phase: 'pre' | 'post';
  versions: NewVersions;
  /** A POST to the public endpoint (post phase). */
  post: (
    path: string,
    init: { headers: Record<string, string>; body: string },
  ) => Promise<{ status: number }>;
  /** Tells CodeDeploy the hook's verdict: `Failed` stops the deployment before any traffic moves. */
  report(deploymentId: string, hookExecutionId: string, status: 'Succeeded' | 'Failed'): Promise<void>;
  clock: Clock;
  logger: Logger;
}

/**
 * CodeDeploy's lifecycle hooks: a key of the reserved check customer is issued, the new versions are
 * checked with it (pre-traffic-checks.ts before traffic moves, post-traffic-checks.ts through the public
 * endpoint after), the key is revoked, and the verdict goes to CodeDeploy (Failed rolls back).
 * Anything that goes wrong — a check, the key, an exception — fails the deployment: a release that
 * cannot be checked does not take traffic.
 */
export function createDeployCheckHandler(deps: DeployCheckDeps) {
  return async function deployCheck(input: unknown): Promise<{ status: 'Succeeded' | 'Failed' }> {
    const event = v.parse(HookEvent, input);
    let status: 'Succeeded' | 'Failed' = 'Failed';
    try {
      const now = new Date(deps.clock.now());
      const { token, record } = await createToken(deps.tokens, DEPLOY_CHECK_CUSTOMER, now);
      try {
        const results =
          deps.phase === 'pre'
            ? await preTrafficChecks(deps.versions, token, now)
            : await postTrafficChecks(deps.post, token);
        const failed = results.filter((r) => !r.ok);
        for (const r of results) (r.ok ? deps.logger.info : deps.logger.error)('deploy check', { ...r });
        status = failed.length === 0 ? 'Succeeded' : 'Failed';
      } finally {
        await revokeToken(deps.tokens, record.tokenId, new Date(deps.clock.now()));
      }
    } catch (error) {
      deps.logger.error('deploy check could not run', { error: (error as Error).message });
    }
    await deps.report(event.DeploymentId, event.LifecycleEventHookExecutionId, status);
    return { status };
  };
}
