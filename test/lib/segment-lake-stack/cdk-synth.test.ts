import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itWhen } from '../../support/left-out';
import { ROOT } from '../../support/local-destination';
import { synthStack } from '../../support/stack';

/**
 * The real thing, offline: `cdk synth` with Lambda bundling (local esbuild), the built-in
 * CloudFormation template validation, and cdk-nag as a policy-validation plugin (bin/app.ts).
 */
describe('cdk synth', () => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  // One real `cdk synth` for the file (~20 s): every test below reads what it wrote.
  let result: SpawnSyncReturns<string>;
  beforeAll(() => {
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' };
    delete env.CDK_VALIDATION;
    result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 240_000,
    });
  }, 240_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes, bundles every function and passes validation and cdk-nag', () => {
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr.slice(-3000) }).toEqual({
      status: 0,
      stderr: '',
    });
    // One line about capacity, with the defaults: one pair for 150 customers under the quota of 500.
    expect(result.stderr).toMatch(
      /^Capacity: 150 customers on 1 delivery shard \(peak 329 of 500 active partitions per Firehose stream, 66 %; up to 185 customers fit\); idle ≈ \$\d+\/month \(1 on-demand Kinesis stream\(s\) \$29\.20, /m,
    );
    expect(result.stderr).toMatch(
      /^No alarmEmail: alarms publish to the AlarmTopicArn topic, which nobody is subscribed to — no one will be told\./m,
    );
    const template = JSON.parse(readFileSync(join(out, 'SegmentLakeDestination.template.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>,
    ).filter((r) => r.Type === 'AWS::Lambda::Function');
    // The request path's four, the compaction's steps, the intent job's two, the deployment's checks,
    // the erase pass's steps and the audiences' two and the weekly refresh's planner.
    expect(functions).toHaveLength(13);
    for (const fn of functions) {
      const bundle = join(out, fn.Metadata!['aws:asset:path']!, 'index.js');
      expect(existsSync(bundle)).toBe(true);
      // Only the intent scorer, the compaction steps, the erase steps, the audience functions and the refresh
      // planner read S3 objects; nothing on the request path loads the client.
      const path = fn.Metadata!['aws:cdk:path']!;
      if (
        !['/Intent/Score/', '/Curated/Steps/', '/Erasure/Steps/', '/Audiences/', '/Refresh/'].some((p) =>
          path.includes(p),
        )
      )
        expect(readFileSync(bundle, 'utf8')).not.toMatch(/require\(["']@aws-sdk\/client-s3["']\)/);
    }
  });

  // cfn-lint (on the machine: pip's cfn-lint) checks the templates against CloudFormation's own resource
  // specifications. Its exit status is a bit mask: 2 means errors; warnings (4) and notes (8) are read.
  const hasCfnLint = spawnSync('cfn-lint', ['--version']).status === 0;
  itWhen(
    hasCfnLint,
    'cfn-lint on the synthesized templates: cfn-lint is not installed (pip install cfn-lint)',
  )('passes cfn-lint without errors: stream and Direct PUT delivery, and the edge', () => {
    // The templates of the same stack synthesized in process (one synth per configuration for the suite,
    // test/support/stack.ts): with the edge, which holds every resource of stream delivery and the edge's
    // own, and with Direct PUT. Bundling, which the real synth above adds, changes no resource cfn-lint
    // reads; CloudFormation's own validation already ran on that one.
    const dir = mkdtempSync(join(tmpdir(), 'cdk-lint-'));
    const edge = join(dir, 'edge.template.json');
    writeFileSync(edge, JSON.stringify(synthStack({ edgeRequestsPerKey: '600000' }).template.toJSON()));
    const direct = join(dir, 'direct.template.json');
    writeFileSync(direct, JSON.stringify(synthStack({ delivery: 'direct' }).template.toJSON()));
    const files = [edge, direct];
    for (const file of files) expect([file, existsSync(file)]).toEqual([file, true]);
    // One cfn-lint for both; each line it prints names its file. E2533 (a Lambda runtime past its
    // deprecation date) is judged against the wall clock: it would turn this test red on a date, not on a
    // change. The runtime and its end of support are pinned in lib/house-function.ts.
    const lint = spawnSync(
      'cfn-lint',
      ['--format', 'parseable', '--ignore-checks', 'E2533', '--', ...files],
      {
        encoding: 'utf8',
        timeout: 180_000,
      },
    );
    const errors = lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect({ errors, errorBit: (lint.status ?? 0) & 2, ran: lint.status !== null }).toEqual({
      errors: [],
      errorBit: 0,
      ran: true,
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
