// Jest's transform: esbuild, the one transpiler of this repository (tsx runs the scripts and commands on it,
// esbuild-register loads jest.config.ts, the CDK app bundles the functions with it); tsc only type-checks.
// TypeScript becomes CommonJS for Node 20, as do the packages that ship ES modules only (jest.config.ts
// lists them). Source maps go back to Jest, so a failure points at the .ts line.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync, version } = require('esbuild');

// A cached transform is stale when esbuild, this file (its options) or the source changes.
const SELF = readFileSync(__filename, 'utf8');

/** @type {import('@jest/transform').SyncTransformer} */
module.exports = {
  canInstrument: false,
  getCacheKey(source, path, options) {
    return createHash('sha256')
      .update(version)
      .update('\0')
      .update(SELF)
      .update('\0')
      .update(path)
      .update('\0')
      .update(source)
      .update('\0')
      .update(options.configString)
      .digest('hex');
  },
  process(source, path) {
    const { code, map } = transformSync(source, {
      loader: /\.tsx?$/.test(path) ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      platform: 'node',
      sourcemap: 'external',
      sourcefile: path,
      // As tsconfig.json's ES2022 target: class fields are defined, not assigned.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    });
    return { code, map };
  },
};
