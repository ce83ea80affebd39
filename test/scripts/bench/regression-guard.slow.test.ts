import { spawnSync } from 'node:child_process';
import { ROOT } from '../../support/local-destination';

// The regression guard end to end, as .ci/run runs it (~10 s of measuring): a slow test, left out of
// `npm test` and run by `npm run test:slow`. The guard's arithmetic is tested in bench-guard.test.ts.
describe('the bench regression guard, measured', () => {
  it('npm run bench -- --check, as .ci/run runs it, catches a planted 2× slowdown of the core', () => {
    const run = spawnSync(
      process.execPath,
      ['--require', 'tsx/cjs', 'scripts/bench.ts', '--check', '--seconds', '2', '--tolerance', '0.35'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, BENCH_SLOWDOWN: '2' },
        timeout: 120_000,
      },
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/core-100 .*REGRESSED/);
    expect(run.stderr).toMatch(/fell more than 35 % below bench\/baseline\.json/);
  }, 120_000);
});
