import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { setTrackingPlan } from '../../domain/core/keys/plan-admin';
import { createTrackMessage, TEST_NOW } from '../support/factories';
import { makeToken, post, ROOT, useLocalDestination } from '../support/local-destination';

describe('npm run query -- --quality', () => {
  const local = useLocalDestination('quality-');
  const query = (...args: string[]) =>
    spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/query.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: local.dataDir },
      encoding: 'utf8',
    });

  it('reports violations, unplanned events, folded spellings and quarantine reasons, as text, JSON and an HTML page with charts', async () => {
    const { token } = await makeToken(local.dataDir, 'qual');
    const plan = JSON.parse(
      readFileSync(join(ROOT, 'test', 'fixtures', 'plans', 'signup-plan.json'), 'utf8'),
    );
    await setTrackingPlan(new FileTokenStore(local.dataDir), 'qual', plan, TEST_NOW);
    const batch = [
      createTrackMessage({ event: 'sign_up', properties: { plan: 'gold' } }),
      createTrackMessage({ event: 'signup', properties: { plan: 'pro' } }),
      createTrackMessage({ event: 'Report Exported' }),
      { type: 'track', userId: 'u' }, // quarantined: no event
    ];
    expect((await post(`${local.destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
    await local.destination.flush();
    const html = join(local.dataDir, 'quality.html');

    const json = query('--quality', '--customer', 'qual', '--json', '--html', html);
    const text = query('--quality', '--customer', 'qual');

    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      events: 3,
      checked: 3,
      violating: 1,
      violations: [{ event: 'Signed Up', path: 'properties.plan', rule: 'enum', count: 1 }],
      unplanned: [{ event: 'Report Exported', count: 1 }],
      quarantineReasons: [{ reason: 'missing_field', count: 1 }],
    });
    expect(text.stdout).toMatch(/Signed Up\s+sign_up, signup/);
    const page = readFileSync(html, 'utf8');
    expect((page.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(page).toContain('<td id="violating">1</td>');
  });

  it('explains itself and refuses a bad date with exit 2', () => {
    expect(query('--help').status).toBe(0);
    const bad = query('--quality', '--customer', 'qual', '--since', 'yesterday');
    expect([bad.status, bad.stderr.trim()]).toEqual([
      2,
      'query: --since must be a date such as 2026-11-01, not "yesterday" (see --help)',
    ]);
  });
});
