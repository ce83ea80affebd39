/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';
import { hasChromium } from './test/support/browser';

// Browser tests need Debian's Chromium. CI installs it (.ci/run) and sets CI, so there they always run;
// on a machine without it they are left out with a notice rather than failing `npm test`.
const browserTests = hasChromium() || process.env.CI ? [] : ['\\.browser\\.test\\.ts$'];
// Slow tests (the whole `npm run bench` in a short run, ~40 s; the regression guard measured, ~10 s; the
// intent models on 7,000 more simulated users, ~40 s) are left out of `npm test`, which stays under 4
// minutes on 2 cores; `npm run test:slow` (and so .ci/run) runs them.
const slowTests = process.env.SLOW_TESTS ? [] : ['\\.slow\\.test\\.ts$'];
if (browserTests.length > 0)
  console.warn('Chromium not found: browser tests left out (apt-get install chromium to run them).');

// @middy/core, hyparquet, hyparquet-writer, p-map and dt-sql-parser (with its antlr4ng runtime) ship ESM only, so they are transformed with the project's own sources.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...browserTests, ...slowTests],
  transform: { '^.+\\.(t|j|mj)s$': '<rootDir>/test/support/esbuild-transform.cjs' },
  transformIgnorePatterns: [
    '/node_modules/(?!(@middy|hyparquet|hyparquet-writer|dt-sql-parser|antlr4ng|antlr4-c3|p-map)/)',
  ],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/capture-logs.ts', '<rootDir>/test/support/reset-mocks.ts'],
  // Recorded calls of jest.fn() and spies start empty in every test. (Not restoreMocks: capture-logs.ts
  // spies on console once per file, for the whole file.)
  clearMocks: true,
  testTimeout: 30_000,
  // Both cores: Jest's default on a 2-core machine is one worker (cores − 1), which leaves a core idle
  // while a file waits on its servers and child processes (docs/local-dev.md, "Tests", has the timing).
  maxWorkers: 2,
};

export default config;
