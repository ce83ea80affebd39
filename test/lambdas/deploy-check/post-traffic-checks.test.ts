import { postTrafficChecks } from '../../../lambdas/deploy-check/post-traffic-checks';

describe('the post-traffic check, through the public endpoint', () => {
  it('passes when the endpoint answers as the contract says: 200, 401 for a made-up key, 400 for a broken body', async () => {
    const sent: { path: string; authorization: string; body: string }[] = [];
    const results = await postTrafficChecks(async (path, init) => {
      sent.push({ path, authorization: init.headers.authorization!, body: init.body });
      if (init.body.endsWith(',')) return { status: 400 };
      return { status: sent.length === 2 ? 401 : 200 };
    }, 'sgl_check');

    expect(results.every((r) => r.ok)).toBe(true);
    expect(sent.map((s) => s.path)).toEqual(['/v1/track', '/v1/track', '/v1/track']);
  });

  it('fails a release that answers 400 to everything, or an endpoint that cannot be reached', async () => {
    const refusing = await postTrafficChecks(async () => ({ status: 400 }), 'sgl_check');
    const unreachable = await postTrafficChecks(
      async () => Promise.reject(new Error('ECONNREFUSED')),
      'sgl_check',
    );

    expect(refusing[0]).toMatchObject({ ok: false, detail: 'answered 400, expected 200' });
    expect(unreachable.every((r) => !r.ok)).toBe(true);
  });
});
