import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/local-destination';

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/replay-sim.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('npm run replay-sim', () => {
  it('prints a plan whose recommended settings keep every limit, for the 5-year Replay of 200 customers', () => {
    const result = run('--customers', '200', '--years', '5', '--events-per-day', '20000', '--rate', '5000');

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('→ breaks first: Kinesis writes');
    expect(result.stdout).toContain('-c deliveryShards=2');
    expect(result.stdout).toContain('-c streamShards=7');
    expect(result.stdout).toContain(
      'live traffic meanwhile: 0 customers, 0 requests/s (--live-customers, --live-rate)',
    );
    expect(result.stdout).toMatch(
      /With those settings:[\s\S]*→ nothing over its limit; active partitions under 80 %/,
    );
  });

  it('explains itself with --help, and refuses a typo or a bad value with exit 2 naming the flag', () => {
    const help = run('--help');
    const typo = run('--rat', '5');
    const bad = run('--rate', 'x');

    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /--rate\s+what Segment sends for the whole Replay \(requests\/s; default 5000\)/,
    );
    expect([typo.status, typo.stderr.trim()]).toEqual([
      2,
      'replay-sim: unknown flag --rat; did you mean --rate? (see --help)',
    ]);
    expect([bad.status, bad.stderr.trim()]).toEqual([
      2,
      'replay-sim: --rate must be a number ≥ 0 (requests/s), not "x" (see --help)',
    ]);
  });
});
