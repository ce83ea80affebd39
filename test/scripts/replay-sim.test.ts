import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/local-destination';

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/replay-sim.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('npm run replay-sim', () => {
  it('prints one JSON object per run: every check with its load, limit and timing, and the Replay’s days', () => {
    const result = run('--customers', '0', '--live-customers', '2000', '--json');

    expect(result.status).toBe(0); // whatever it finds
    const out = JSON.parse(result.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['checks', 'replayDays']));
    // No Replay, so no curated backlog to drain.
    expect(out.curatedBacklog).toBeNull();
    for (const check of out.checks)
      expect(Object.keys(check)).toEqual(
        expect.arrayContaining(['name', 'load', 'limit', 'percentOfLimit', 'failsAfter200', 'firstAt']),
      );
    expect(out.checks[0]).toMatchObject({
      name: 'firehose-active-partitions',
      failsAfter200: true,
      firstAt: 0,
    });
    // Every dependency state, and whether a full outage stays within the function's budget.
    expect(out.outages).toMatchObject({ budget: 950, withinBudgetWhenDown: true });
    expect(out.outages.states).toHaveLength(8);
  });

  it('says in words what fails first and whether it is silent, and the settings that avoid it', () => {
    const result = run('--live-customers', '2000');

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Measured on this code: [\d.]+ ms of core per 1-event request; /m);
    expect(result.stdout).toMatch(/^SILENT LOSS: firehose-active-partitions \(from 0 h\)/m);
    // The Replay's curated backlog: backlogDrain's arithmetic (docs/lake.md), for this scenario.
    expect(result.stdout).toMatch(
      /^Curated table: the Replay's [\d,]+ backlog MERGEs drain in [\d,]+ hourly compaction runs \(~[\d.,]+ days\), \d+ a run beside 2,000 live customers/m,
    );
    expect(result.stdout).toMatch(
      /^Settings for this scenario: npx cdk deploy -c maxCustomers=2200 -c activePartitionQuota=5000/m,
    );
  });

  it('explains itself with --help, and refuses a typo or a bad value with exit 2 naming the flag', () => {
    const help = run('--help');
    const typo = run('--rat', '5');
    const bad = run('--rate', 'x');
    const both = run('--template', 'x.json', '--settings', 'maxCustomers=5');

    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /--rate <requests\/s>\s+what Segment offers for the whole Replay \(default 5000\)/,
    );
    expect([typo.status, typo.stderr.trim()]).toEqual([
      2,
      'replay-sim: unknown flag --rat; did you mean --rate? (see --help)',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(
      /^replay-sim: --rate must be a whole number from 0 to 1000000, not "x"/,
    );
    expect(both.status).toBe(2);
  });
});
