import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { jsonLogger } from '../../adapters/system/json-logger';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { BROWSER_START_TIMEOUT_MS, launchChromium } from '../support/browser';
import { tempDataDir } from '../support/local-destination';

/** The page customers land on after enabling the destination, as a real browser renders it. */
describe('the enable callback page in headless Chromium', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = tempDataDir('browser-');
    destination = await startLocalServer({ dataDir, port: 0, logger: jsonLogger('e2e') });
    browser = await launchChromium();
  }, BROWSER_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows that the connection is set up, and no key, even when the query carries one', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    const secret = 'sgl_SecretKeyThatMustNotShow000000000000000000';

    const response = await page.goto(
      `${destination.url}/enable/callback?apiKey=${secret}&settings=${Buffer.from(`{"apiKey":"${secret}"}`).toString('base64')}&weird=%%3Cb%3E`,
    );

    expect(response?.status()).toBe(200);
    const heading = page.getByRole('heading', { level: 1 });
    expect((await heading.textContent())?.trim()).toBe('Your Segment source is connected');
    expect(await heading.isVisible()).toBe(true);
    const box = await heading.boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    const shot = await page.screenshot({ fullPage: true });
    const headingShot = await heading.screenshot();
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    expect(headingShot.length).toBeGreaterThan(1_000);
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator('main').textContent()).toMatch(/what happens next/i);
  });
});
