import { randomBytes } from 'node:crypto';
import { authorizationFor, TOKEN_PREFIX } from '../../domain/core/keys/tokens';
import type { CheckResult } from './pre-traffic-checks';

/**
 * After the aliases moved, the checks of `npm run smoke` that need no operator credentials, through the
 * public endpoint as Segment reaches it: the check key's event is answered 200, a made-up key 401, a
 * broken body 400. (Whether the event then lands in S3 and Athena is `npm run smoke`'s to check.)
 */
export async function postTrafficChecks(
  post: (
    path: string,
    init: { headers: Record<string, string>; body: string },
  ) => Promise<{ status: number }>,
  key: string,
): Promise<CheckResult[]> {
  const run = randomBytes(6).toString('hex');
  const event = JSON.stringify({
    type: 'track',
    event: 'Deploy Checked',
    userId: 'deploy-check',
    messageId: `deploy-check-${run}-post`,
  });
  const cases: [string, string, string, number][] = [
    ['the endpoint takes an event with the check key', key, event, 200],
    [
      'the endpoint refuses a made-up key with 401',
      `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`,
      event,
      401,
    ],
    ['the endpoint refuses a broken body with 400', key, '{"type":"track",', 400],
  ];
  const results: CheckResult[] = [];
  for (const [name, presented, body, expected] of cases) {
    try {
      const { status } = await post('/v1/track', {
        headers: { authorization: authorizationFor(presented), 'content-type': 'application/json' },
        body,
      });
      results.push({ name, ok: status === expected, detail: `answered ${status}, expected ${expected}` });
    } catch (error) {
      results.push({ name, ok: false, detail: (error as Error).message });
    }
  }
  return results;
}
