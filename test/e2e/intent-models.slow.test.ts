import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { LocalDestination } from '../../local/local-server';
import { type IntentReport, runIntent } from '../../scripts/intent/run-intent';
import { ROOT, tempDataDir } from '../support/local-destination';
import { simulatedLake } from '../support/simulated-lake';

// The models on populations that are not the happy path, through the same HTTP path, compaction and
// intent run as intent.test.ts: one without any signal, one whose signal is an interaction. 10,000
// simulated users (~60 s on 2 cores), so a slow test: `npm run test:slow`, which .ci/run runs.

describe('intent models on populations without a signal, and with an interaction', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let withoutSignal: IntentReport;
  let withInteraction: IntentReport;

  beforeAll(async () => {
    dataDir = tempDataDir('intent-models-');
    let lake: string;
    ({ lake, destination } = await simulatedLake(dataDir, [
      // Without the signal conversions are rarer: 7,000 users give each slice the converters it needs.
      ['flat', 'none', 8, 7_000],
      ['mixed', 'interaction', 9, 3_000],
    ]));
    withoutSignal = await runIntent({ lakeRoot: lake, customer: 'flat', event: 'Sign Up' });
    withInteraction = await runIntent({ lakeRoot: lake, customer: 'mixed', event: 'signed_up' });
  }, 240_000);
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds nothing where nothing was planted: AUC within 0.5 ± 0.07, and says not to use it', () => {
    expect(withoutSignal.eventKey).toBe('signedup');
    expect(Math.abs(withoutSignal.validationAuc - 0.5)).toBeLessThanOrEqual(0.07);
    expect(withoutSignal.quality).toMatchObject({ grade: 'Poor', recommended: false });
  });

  it('exits 1 on a Poor model with --json as without, and builds no audience from it unless forced', () => {
    const run = (script: string, ...args: string[]) =>
      spawnSync(process.execPath, ['--require', 'tsx/cjs', script, ...args], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir },
        encoding: 'utf8',
      });
    const scored = run('scripts/intent.ts', '--customer', 'flat', '--event', 'Sign Up', '--json');
    expect(scored.status).toBe(1);
    expect(JSON.parse(scored.stdout).quality).toMatchObject({ grade: 'Poor', recommended: false });

    const audience = ['--customer', 'flat', '--name', 'likely_signups'];
    const refused = run('scripts/audience.ts', 'create', ...audience, '--event', 'Sign Up', '--top', '20');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/graded Poor.*--force/);
    const forced = run(
      'scripts/audience.ts',
      'create',
      ...audience,
      '--event',
      'Sign Up',
      '--top',
      '20',
      '--force',
    );
    expect(forced.status).toBe(0);
    // A refresh over a Poor scoring keeps the last version, says so, and succeeds.
    const kept = run('scripts/audience.ts', 'refresh', ...audience, '--json');
    expect(kept.status).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ versions: [{ version: 1 }], kept: { version: 1 } });
  });

  it('finds an interaction the linear model misses: the trees beat it by ≥ 0.05 AUC', () => {
    const aucOf = (kind: string) => withInteraction.models.find((m) => m.name.includes(kind))!.auc;

    expect(aucOf('trees') - aucOf('logistic')).toBeGreaterThanOrEqual(0.05);
    expect(withInteraction.chosen).toBe('gradient-boosted trees');
  });
});
