import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const hasChromium = (): boolean => existsSync(CHROMIUM_PATH);

/**
 * The timeout of a test or hook that starts Chromium: it starts in ~2 s alone, but took over 30 s
 * (Jest's default here) on the 2-core machine while the other suites ran.
 */
export const BROWSER_START_TIMEOUT_MS = 90_000;

/**
 * Headless Chromium for the browser tests. The flags keep it off the network it cannot reach here
 * (no network but the package registries); Playwright gives it a fresh profile of its own.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
