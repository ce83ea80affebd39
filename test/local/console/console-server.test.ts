import { rmSync } from 'node:fs';
import { FileOperatorStore } from '../../../adapters/local/file-operator-store';
import { systemClock } from '../../../adapters/system/clock';
import { LiveView } from '../../../domain/core/console/live-view';
import { consoleAssets } from '../../../local/console/console-assets';
import { type ConsoleServer, startConsole } from '../../../local/console/console-server';
import type { ConsoleSource } from '../../../local/console/console-source';
import { tempDataDir } from '../../support/local-destination';
import { recordingLogger } from '../../support/recording-logger';

describe('the console’s server', () => {
  let dataDir: string;
  let operators: FileOperatorStore;
  let server: ConsoleServer;
  const { logger, lines } = recordingLogger();
  const live = new LiveView();
  const source: ConsoleSource = {
    overview: async () => [],
    customer: async () => ({
      ...live.detail('acme', 0),
      completeness: { status: 'unknown', missing: 0, checkedAt: null },
      erasures: [],
      intent: [],
      audiences: [],
    }),
    subscribe: (listener) => live.onMessage(listener),
  };

  beforeAll(async () => {
    dataDir = tempDataDir('console-server-');
    operators = new FileOperatorStore(dataDir);
    server = await startConsole({
      port: 0,
      operators,
      source,
      assets: consoleAssets(),
      logger,
      clock: systemClock,
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, server.url), { headers, redirect: 'manual' });
  const signIn = (key: string) =>
    fetch(new URL('sign-in', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key }).toString(),
      redirect: 'manual',
    });

  it('gives a signed-in browser a session cookie it cannot read, holding no key', async () => {
    const { token } = await operators.create('ops', new Date());
    const answer = await signIn(token);
    expect(answer.status).toBe(303);
    const cookie = answer.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^console_session=[A-Za-z0-9_-]{43}; Path=\/console\/; HttpOnly; SameSite=Strict;/,
    );
    expect(cookie).not.toContain(token);
    const session = cookie.split(';')[0]!;
    expect((await get('', { cookie: session })).status).toBe(200);
    expect((await get('api/overview', { cookie: session })).status).toBe(200);
    // A made-up session is no session.
    expect((await get('api/overview', { cookie: 'console_session=abc' })).status).toBe(401);
  });

  it('opens the page to a key in the header with a session, but answers the API without making one', async () => {
    const { token } = await operators.create('robot', new Date());
    const page = await get('', { authorization: `Bearer ${token}` });
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toMatch(/^console_session=/);
    const api = await get('api/overview', { authorization: `Bearer ${token}` });
    expect(api.status).toBe(200);
    expect(api.headers.get('set-cookie')).toBeNull();
    // Basic, as Segment sends write keys, is not how an operator signs in.
    expect(
      (await get('api/overview', { authorization: `Basic ${Buffer.from(`${token}:`).toString('base64')}` }))
        .status,
    ).toBe(401);
  });

  it('ends a revoked key’s sessions at their next request, and its open stream at the next push', async () => {
    const { token, record } = await operators.create('leaver', new Date());
    const session = (await signIn(token)).headers.get('set-cookie')!.split(';')[0]!;
    expect((await get('api/overview', { cookie: session })).status).toBe(200);
    const open = await get('stream?customer=acme', { cookie: session });
    expect(open.status).toBe(200);
    const reader = open.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('event: overview');
    await operators.revoke(record.tokenId, new Date());
    expect((await get('api/overview', { cookie: session })).status).toBe(401);
    expect((await signIn(token)).status).toBe(401);
    // The stream ends within a push or two.
    let ended = false;
    for (let i = 0; i < 5 && !ended; i++) ended = (await reader.read()).done;
    expect(ended).toBe(true);
    // A customer id names lake folders: a malformed one is looked up nowhere.
    const { token: other } = await operators.create('checker', new Date());
    const bearer = { authorization: `Bearer ${other}` };
    expect((await get(`api/customers/${encodeURIComponent('../../etc')}`, bearer)).status).toBe(404);
    expect((await get(`api/customers/${encodeURIComponent('(no valid key)')}`, bearer)).status).toBe(200);
    // And /console without its slash is a console path: 401 with the form, no redirect.
    const bare = await get('/console');
    expect([bare.status, bare.headers.get('location')]).toEqual([401, null]);
  });

  it('sends its strict policy with every answer, the 401 form included, and serves only its own files', async () => {
    for (const answer of [await get(''), await get('assets/console.js'), await get('assets/console.css')]) {
      expect(answer.headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const form = await get('');
    expect(form.status).toBe(401);
    expect(form.headers.get('location')).toBeNull();
    const html = await form.text();
    expect(html).toContain('<form method="post" action="/console/sign-in">');
    expect(html).not.toMatch(/<script|style=|\son[a-z]+=/i);
    // Assets are a fixed map, never a path on disk.
    expect((await get('assets/../../etc/passwd')).status).toBe(404);
    expect((await get('assets/console.ts')).status).toBe(401);
    expect((await get('/v1/track')).status).toBe(404);
    // The icon a browser asks for by itself: nothing, and no 404 in the page's console.
    expect((await get('/favicon.ico')).status).toBe(204);
  });

  it('reads at most 4 KB of a sign-in form', async () => {
    const answer = await signIn('x'.repeat(64 * 1024)).catch(() => undefined);
    expect(answer === undefined || answer.status === 401).toBe(true);
  });

  it('logs sign-ins with the key’s name, never the key', async () => {
    const { token } = await operators.create('Dana', new Date());
    await signIn(token);
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'console sign-in',
        fields: expect.objectContaining({ operator: 'Dana' }),
      }),
    );
    expect(JSON.stringify(lines)).not.toContain(token);
  });
});
