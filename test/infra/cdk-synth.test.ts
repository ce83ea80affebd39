import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/local-destination';

/**
 * The real thing, offline: `cdk synth` with Lambda bundling (local esbuild), the built-in
 * CloudFormation template validation, and cdk-nag as a policy-validation plugin (bin/app.ts).
 */
describe('cdk synth', () => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes, bundles every function and passes validation and cdk-nag', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' };
    delete env.CDK_VALIDATION;
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 240_000,
    });

    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr.slice(-3000) }).toEqual({
      status: 0,
      stderr: '',
    });
    const template = JSON.parse(readFileSync(join(out, 'SegmentLakeDestination.template.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>,
    ).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      const bundle = join(out, fn.Metadata!['aws:asset:path']!, 'index.js');
      expect(existsSync(bundle)).toBe(true);
      expect(readFileSync(bundle, 'utf8')).not.toMatch(/require\(["']@aws-sdk\/client-s3["']\)/);
    }
  });
});
