import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseEnableLink } from '../../lambdas/core/enable-link';
import { jsonLogger } from '../../lambdas/core/ports';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { createTrackMessage } from '../support/factories';
import { post, ROOT, tempDataDir } from '../support/local-destination';

const execFileAsync = promisify(execFile);

describe('onboarding against the running local destination', () => {
  let dataDir: string;
  let destination: LocalDestination;
  const tokens = async (...args: string[]) =>
    (
      await execFileAsync(process.execPath, ['--import', 'tsx', 'bin/tokens.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir },
        encoding: 'utf8',
      })
    ).stdout;
  const statusWithin = async (want: number, send: () => Promise<number>, ms = 5_000) => {
    const deadline = Date.now() + ms;
    let status = await send();
    while (status !== want && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await send();
    }
    return status;
  };

  beforeAll(async () => {
    dataDir = tempDataDir('onboarding-');
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('e2e'),
      flushIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('issues a key with its enable link, which works at once', async () => {
    const issued = JSON.parse(
      await tokens(
        'enable-link',
        '--customer',
        'newco',
        '--slug',
        'our-lake',
        '--redirect-url',
        `${destination.url}/enable/callback`,
        '--json',
      ),
    );

    expect(parseEnableLink(issued.enableUrl)).toEqual({
      slug: 'our-lake',
      apiKey: issued.token,
      redirectUrl: `${destination.url}/enable/callback`,
    });
    expect((await post(`${destination.url}/`, createTrackMessage(), issued.token)).status).toBe(200);
  });

  it('refuses a disabled customer with 403 within a few seconds, and accepts again once enabled', async () => {
    const { token } = JSON.parse(await tokens('create', '--customer', 'pausing', '--json'));
    const send = async () => (await post(`${destination.url}/`, createTrackMessage(), token)).status;
    expect(await send()).toBe(200);

    await tokens('disable', '--customer', 'pausing');
    expect(await statusWithin(403, send)).toBe(403);
    const refused = await post(`${destination.url}/`, createTrackMessage(), token);
    expect(refused.body.message).toMatch(/disabled/);

    await tokens('enable', '--customer', 'pausing');
    expect(await statusWithin(200, send)).toBe(200);
  });

  it('refuses a key revoked with the command within a few seconds', async () => {
    const { token, tokenId } = JSON.parse(await tokens('create', '--customer', 'revoking', '--json'));
    const send = async () => (await post(`${destination.url}/`, createTrackMessage(), token)).status;
    expect(await send()).toBe(200);

    await tokens('revoke', tokenId);

    expect(await statusWithin(401, send)).toBe(401);
  });

  it('serves the callback page, the same whatever the query string', async () => {
    const plain = await fetch(`${destination.url}/enable/callback`);
    const odd = await fetch(
      `${destination.url}/enable/callback?apiKey=sgl_secret&x=%3Cscript%3Ealert(1)%3C/script%3E&%%`,
    );

    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(plain.headers.get('content-security-policy')).toContain("default-src 'none'");
    const [a, b] = [await plain.text(), await odd.text()];
    expect(a).toContain('Your Segment source is connected');
    expect(b).toBe(a);
  });
});
