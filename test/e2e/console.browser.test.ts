import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type SpawnedServer, spawnDestination, stopServer } from '../../local/spawn-destination';
import { BROWSER_START_TIMEOUT_MS, launchChromium } from '../support/browser';
import { makeToken, post, ROOT, tempDataDir } from '../support/local-destination';

/** Markup and script in every place an event can carry text: the console must show it as text. */
const HOSTILE = {
  event: '<img src=x onerror="window.__pwned=1">Signed Up',
  userId: '"><script>window.__pwned=1</script>',
  anonymousId: 'anon-\'"</pre><b>bold</b>',
  traits: { name: '<svg onload="window.__pwned=1">', '<i>key</i>': 'x' },
};

/**
 * The operators' console of `npm start`, in headless Chromium, as an operator uses it: refused without
 * an operator key, open with one, and showing what arrives while it is open, without a reload.
 */
describe('the console of npm start in headless Chromium', () => {
  let dataDir: string;
  let server: SpawnedServer;
  let consoleUrl: string;
  let browser: Browser;
  let writeKey: string;
  let operatorKey: string;

  beforeAll(async () => {
    dataDir = tempDataDir('console-');
    server = await spawnDestination({ DATA_DIR: dataDir, PORT: '0', FLUSH_INTERVAL_MS: '100' });
    consoleUrl = /console for operators on (http:\/\/\S+)/.exec(server.output())![1]!;
    writeKey = (await makeToken(dataDir, 'acme')).token;
    const created = JSON.parse(
      execFileSync(
        process.execPath,
        ['--require', 'tsx/cjs', 'bin/tokens.ts', 'operator', 'create', '--name', 'Dana on call', '--json'],
        { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' },
      ),
    ) as { token: string; tokenId: string; name: string };
    expect(Object.keys(created).sort()).toEqual(['name', 'token', 'tokenId']);
    operatorKey = created.token;
    browser = await launchChromium();
  }, BROWSER_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    if (server) await stopServer(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const signIn = async (page: Page, key: string) => {
    await page.goto(consoleUrl);
    await page.getByLabel('Operator key').fill(key);
    return Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Sign in' }).click()]);
  };

  it('answers 401 with the sign-in form, no redirect, to no key and to a customer’s write key', async () => {
    const page = await browser.newPage();
    const none = await page.goto(consoleUrl);
    expect(none?.status()).toBe(401);
    expect(none?.headers().location).toBeUndefined();
    expect(await page.getByLabel('Operator key').isVisible()).toBe(true);

    const bearer = await fetch(consoleUrl, {
      headers: { authorization: `Bearer ${writeKey}` },
      redirect: 'manual',
    });
    expect(bearer.status).toBe(401);
    await signIn(page, writeKey);
    expect(await page.getByRole('alert').textContent()).toMatch(/does not open the console/);
    // And an operator key is no write key.
    expect((await post(`${server.url}/v1/track`, { userId: 'u', event: 'x' }, operatorKey)).status).toBe(401);
    await page.close();
  });

  it('opens with an operator key, lists the customers, and shows what arrives within 5 s, as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    // Something arrived before the page opened: the customer is listed.
    expect(
      (await post(`${server.url}/v1/track`, { userId: 'u-0', event: 'Opened', messageId: 'm-0' }, writeKey))
        .status,
    ).toBe(200);
    // The sign-in page itself is a 401: errors count from the sign-in on.
    await page.goto(consoleUrl);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    // Which resource, when one fails: the console message does not say.
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
    });
    await page.getByLabel('Operator key').fill(operatorKey);
    await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.getByRole('heading', { name: 'Segment lake console' }).isVisible()).toBe(true);
    const customer = page.getByRole('button', { name: 'acme' });
    await customer.waitFor({ timeout: 5_000 });
    // Keyboard: the customer is reachable and opened with Enter.
    await customer.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Customer acme' }).waitFor();
    await page.locator('#live-state', { hasText: 'live' }).waitFor({ timeout: 5_000 });

    // Sent while the page is open: one message, one quarantined with its reason.
    const sent = Date.now();
    expect(
      (
        await post(
          `${server.url}/v1/batch`,
          {
            batch: [
              { type: 'track', messageId: 'live-1', ...HOSTILE, properties: { plan: '<b>pro</b>' } },
              { type: 'track', userId: 'u-9', messageId: 'live-bad' },
            ],
          },
          writeKey,
        )
      ).status,
    ).toBe(200);
    const shown = page.locator('#messages li', { hasText: 'live-1' });
    const quarantined = page.locator('#messages li.quarantined', { hasText: 'live-bad' });
    await shown.waitFor({ timeout: 5_000 });
    await quarantined.waitFor({ timeout: 5_000 });
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(await quarantined.textContent()).toContain('missing_field');
    // Every hostile value is there as text, and none ran.
    const text = (await shown.textContent()) ?? '';
    expect(text).toContain(HOSTILE.userId);
    expect(text).toContain(HOSTILE.anonymousId);
    // The name as sent is in the message as sent (JSON); the one shown is its normalized form.
    expect(text).toContain(JSON.stringify(HOSTILE.event).slice(1, -1));
    expect(text).toContain(JSON.stringify(HOSTILE.traits.name).slice(1, -1));
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await page.locator('#messages img, #messages script, #messages svg, #messages b').count()).toBe(0);
    await page
      .getByRole('group')
      .first()
      .click()
      .catch(() => undefined);

    // Search and pause.
    await page.getByLabel('Search by messageId, userId or event').fill('live-bad');
    await page.locator('#messages li', { hasText: 'live-1' }).waitFor({ state: 'detached', timeout: 5_000 });
    expect(await page.locator('#messages li').count()).toBe(1);
    await page.getByLabel('Search by messageId, userId or event').fill('');
    await shown.waitFor({ timeout: 5_000 });
    await page.getByRole('button', { name: 'Pause' }).click();
    await post(
      `${server.url}/v1/track`,
      { userId: 'u-5', event: 'While paused', messageId: 'paused-1' },
      writeKey,
    );
    await page.locator('#paused-note', { hasText: 'paused' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#messages li', { hasText: 'paused-1' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('#messages li', { hasText: 'paused-1' }).waitFor({ timeout: 5_000 });

    // The quarantine by reason, the overview's counts.
    expect(await page.locator('#reasons').textContent()).toContain('missing_field');
    expect(errors).toEqual([]);
    // CONSOLE_SCREENSHOTS=docs/images: the pictures docs/operations.md shows, taken from this run.
    const shots = process.env.CONSOLE_SCREENSHOTS;
    if (shots) {
      await page.locator('#overview').screenshot({ path: join(shots, 'console-overview.png') });
      await page.locator('#messages li').first().locator('summary').click();
      await page.screenshot({ path: join(shots, 'console-customer.png'), fullPage: true });
    }
    await page.close();
  });

  it('forgets a deleted user at once, and logs each operator’s sign-in and what they opened', async () => {
    // A page loaded with the key signs in (and is logged so), whichever test ran before.
    expect((await fetch(consoleUrl, { headers: { authorization: `Bearer ${operatorKey}` } })).status).toBe(
      200,
    );
    await post(
      `${server.url}/v1/track`,
      { userId: 'to-erase', anonymousId: 'a-erase', event: 'Viewed', messageId: 'e-1' },
      writeKey,
    );
    await post(`${server.url}/v1/page`, { anonymousId: 'a-erase', name: 'Home', messageId: 'e-2' }, writeKey);
    const panel = async () =>
      (await (
        await fetch(`${consoleUrl}api/customers/acme`, {
          headers: { authorization: `Bearer ${operatorKey}` },
        })
      ).json()) as { messages: { messageId: string }[]; erasures: { userHash: string; status: string }[] };
    expect((await panel()).messages.map((m) => m.messageId)).toEqual(expect.arrayContaining(['e-1', 'e-2']));

    expect(
      (
        await post(
          `${server.url}/v1/batch`,
          { batch: [{ type: 'delete', userId: 'to-erase', messageId: 'del-1' }] },
          writeKey,
        )
      ).status,
    ).toBe(200);
    const after = await panel();
    expect(after.messages.map((m) => m.messageId)).not.toEqual(expect.arrayContaining(['e-1']));
    expect(after.messages.map((m) => m.messageId)).not.toContain('e-2');
    // The request is listed by its keyed hash; the erased id is nowhere in the answer.
    expect(after.erasures).toEqual([
      expect.objectContaining({ status: 'pending', userHash: expect.any(String) }),
    ]);
    expect(JSON.stringify(after)).not.toContain('to-erase');

    expect(server.output()).toMatch(
      /"message":"console sign-in","service":"local".*"operator":"Dana on call"/,
    );
    expect(server.output()).toMatch(
      /"message":"console opened".*"operator":"Dana on call".*"customer":"acme"/,
    );
    // Never the key.
    expect(server.output()).not.toContain(operatorKey);
  });
});
