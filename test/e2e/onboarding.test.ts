import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually } from '../support/eventually';
import { createTrackMessage } from '../support/factories';
import { post, ROOT, useLocalDestination } from '../support/local-destination';
import { parseEnableLink } from '../support/reference-models';

const execFileAsync = promisify(execFile);

describe('onboarding against the running local destination', () => {
  const local = useLocalDestination('onboarding-');
  const tokens = async (...args: string[]) =>
    (
      await execFileAsync(process.execPath, ['--require', 'tsx/cjs', 'bin/tokens.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: local.dataDir },
        encoding: 'utf8',
      })
    ).stdout;
  const statusWithin = (want: number, send: () => Promise<number>, timeoutMs = 5_000) =>
    eventually(send, (status) => status === want, { timeoutMs, intervalMs: 100 });

  it('issues a key with its enable link, which works at once', async () => {
    const issued = JSON.parse(
      await tokens(
        'enable-link',
        '--customer',
        'newco',
        '--slug',
        'our-lake',
        '--redirect-url',
        `${local.destination.url}/enable/callback`,
        '--allow-http-localhost', // the local destination's own page: http on loopback, on purpose
        '--json',
      ),
    );

    expect(parseEnableLink(issued.enableUrl)).toEqual({
      slug: 'our-lake',
      apiKey: issued.token,
      redirectUrl: `${local.destination.url}/enable/callback`,
    });
    expect((await post(`${local.destination.url}/`, createTrackMessage(), issued.token)).status).toBe(200);
  });

  it('refuses a disabled customer with 403 within a few seconds, and accepts again once enabled', async () => {
    const { token } = JSON.parse(await tokens('create', '--customer', 'pausing', '--json'));
    const send = async () => (await post(`${local.destination.url}/`, createTrackMessage(), token)).status;
    expect(await send()).toBe(200);

    await tokens('disable', '--customer', 'pausing');
    expect(await statusWithin(403, send)).toBe(403);
    const refused = await post(`${local.destination.url}/`, createTrackMessage(), token);
    expect(refused.body.message).toMatch(/disabled/);

    await tokens('enable', '--customer', 'pausing');
    expect(await statusWithin(200, send)).toBe(200);
  });

  it('refuses a key revoked with the command within a few seconds', async () => {
    const { token, tokenId } = JSON.parse(await tokens('create', '--customer', 'revoking', '--json'));
    const send = async () => (await post(`${local.destination.url}/`, createTrackMessage(), token)).status;
    expect(await send()).toBe(200);

    await tokens('revoke', tokenId);

    expect(await statusWithin(401, send)).toBe(401);
  });

  it('serves the callback page, the same whatever the query string', async () => {
    const plain = await fetch(`${local.destination.url}/enable/callback`);
    const odd = await fetch(
      `${local.destination.url}/enable/callback?apiKey=sgl_secret&x=%3Cscript%3Ealert(1)%3C/script%3E&%%`,
    );

    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(plain.headers.get('content-security-policy')).toContain("default-src 'none'");
    const [a, b] = [await plain.text(), await odd.text()];
    expect(a).toContain('Your Segment source is connected');
    expect(b).toBe(a);
  });
});
