/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// @middy/core ships ESM only, so it is transformed with the project's own sources.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', {}] },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 30_000,
};

export default config;
