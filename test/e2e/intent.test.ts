import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { featureName, featuresSql } from '../../domain/contract/sql/intent-sql';
import { openLocalLake } from '../../local/lake-query';
import type { LocalDestination } from '../../local/local-server';
import { intentHtml } from '../../scripts/intent/intent-html';
import type { MonitorReport } from '../../scripts/intent/monitor';
import { type IntentReport, runIntent } from '../../scripts/intent/run-intent';
import { BROWSER_START_TIMEOUT_MS, hasChromium, launchChromium } from '../support/browser';
import { itWhen } from '../support/left-out';
import { ROOT, tempDataDir } from '../support/local-destination';
import { simulatedLake } from '../support/simulated-lake';

// Intent scores validated on planted signal: the simulator's users go through the real HTTP path of
// the local destination, are compacted, and scored. 3,000 users give ~200 validation conversions with
// the signal (AUC's standard error ~0.02). The model checks on populations without a signal and with
// an interaction (7,000 more users, ~40 s) are a slow test: intent-models.slow.test.ts.

describe('intent scores on simulated customers', () => {
  let dataDir: string;
  let lake: string;
  let destination: LocalDestination;
  let withSignal: IntentReport;

  beforeAll(async () => {
    dataDir = tempDataDir('intent-');
    ({ lake, destination } = await simulatedLake(dataDir, [['demo', 'pricing', 7, 2_000]]));
    withSignal = await runIntent({ lakeRoot: lake, customer: 'demo', event: 'signed_up' });
  }, 240_000);
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the planted behaviour: validation AUC ≥ 0.75 and top-decile lift ≥ 3, pricing views first', () => {
    expect(withSignal.eventKey).toBe('signedup');
    expect(withSignal.validationAuc).toBeGreaterThanOrEqual(0.75);
    expect(withSignal.deciles[0]!.lift).toBeGreaterThanOrEqual(3);
    expect(withSignal.strongest[0]!.feature).toBe(featureName('page', '/pricing'));
    // A tree model worth having: within 0.02 AUC of the logistic regression on an additive signal.
    const [logistic, trees] = ['logistic', 'trees'].map(
      (kind) => withSignal.models.find((m) => m.name.includes(kind))!.auc,
    );
    expect(trees).toBeGreaterThanOrEqual(logistic! - 0.02);
    // Trait values from identify calls are features too.
    expect(withSignal.features).toEqual(expect.arrayContaining(['trait_plan_trial', 'trait_plan_free']));
    // A time split: trained a horizon before it was reported on, scored a horizon after.
    expect([withSignal.trainingCutoff, withSignal.validationCutoff, withSignal.asOf]).toEqual([
      '2026-03-04',
      '2026-03-18',
      '2026-04-01',
    ]);
  });

  it('learns, stops, calibrates and reports on slices in time order; 60 days of history are short, so Fair at most', () => {
    expect(withSignal.slices.map((s) => [s.name, s.cutoff])).toEqual([
      ['training', '2026-03-04'],
      ['stop', '2026-03-04'],
      ['calibration', '2026-03-18'],
      ['report', '2026-03-18'],
    ]);
    expect(withSignal.quality.grade).toBe('Fair');
    expect(withSignal.caveat).toMatch(/^short history/);
    // Calibrated on its own slice, measured on another: within 3 points per decile on average.
    expect(withSignal.quality.calibrationError).toBeLessThanOrEqual(0.03);
    // The scores at asOf spread as the report slice's did.
    expect(withSignal.scored.check.refused).toBeUndefined();
    expect(withSignal.scored.check.stabilityIndex).toBeLessThan(0.1);
    expect(withSignal.scored.check.high - withSignal.scored.check.low).toBeGreaterThan(0.1);
  });

  it('reports Segment’s model statistics, and keeps them as the run’s metadata', () => {
    expect(withSignal.quality).toMatchObject({ recommended: true, auc: withSignal.validationAuc });
    expect(withSignal.quality.logLoss).toBeLessThan(withSignal.quality.baselineLogLoss);
    expect(withSignal.quality.liftQuality).toBeGreaterThan(2);
    expect(withSignal.featureCount).toBe(withSignal.features.length);
    expect(JSON.parse(readFileSync(withSignal.scored.report, 'utf8'))).toMatchObject({
      quality: withSignal.quality,
      asOf: withSignal.asOf,
    });
  });

  it('monitors a scoring against what its users then did: by percentile cohort, with the realized AUC', async () => {
    // A scoring two weeks before the end of the history, so its users had time to convert; its training
    // cutoff is 18 days into the history, so the look-back is 14 days (the default 30 is refused below).
    await runIntent({
      lakeRoot: lake,
      customer: 'demo',
      event: 'signed_up',
      asOf: '2026-03-18',
      lookbackDays: 14,
    });
    await expect(
      runIntent({ lakeRoot: lake, customer: 'demo', event: 'signed_up', asOf: '2026-03-18' }),
    ).rejects.toThrow(
      "a look-back of 30 days is longer than demo's history before the training cutoff 2026-02-18 (18 days, from 2026-01-31): use a look-back of at most 18 days, or a later --as-of",
    );
    const result = spawnSync(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        'scripts/intent.ts',
        'monitor',
        '--customer',
        'demo',
        '--event',
        'Signed Up',
        '--as-of',
        '2026-03-18',
        '--json',
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toBe('');
    const monitored = JSON.parse(result.stdout) as MonitorReport;

    expect(monitored).toMatchObject({
      asOf: '2026-03-18',
      eventKey: 'signedup',
      observedUntil: '2026-03-31',
    });
    expect(monitored.converted).toBeGreaterThan(20);
    expect(monitored.realizedAuc).toBeGreaterThan(0.7);
    // The probabilities written then, against what their users did next: calibrated.
    expect(monitored.realizedCalibrationError).toBeLessThanOrEqual(0.03);
    expect(monitored.cohorts.map((c) => c.cohort)).toEqual([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0]);
    expect(monitored.cohorts[0]!.realized).toBeGreaterThan(3 * monitored.cohorts[9]!.realized);
    expect(monitored.cohorts.reduce((n, c) => n + c.users, 0)).toBe(monitored.users);

    // Without a scoring: a clear message and exit 1.
    const none = spawnSync(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        'scripts/intent.ts',
        'monitor',
        '--customer',
        'demo',
        '--event',
        'Order Completed',
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 60_000 },
    );
    expect([none.status, none.stderr]).toEqual([
      1,
      expect.stringMatching(/^intent monitor: no scores of "Order Completed" for demo: run npm run intent/),
    ]);
  });

  it('saves each prediction it runs, and refreshes the ones that are due', () => {
    const intent = (...args: string[]) =>
      spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/intent.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 120_000,
      });
    expect(intent('--customer', 'demo', '--event', 'signed_up', '--json').status).toBe(0);
    const [saved] = JSON.parse(intent('list', '--customer', 'demo', '--json').stdout);
    expect(saved).toMatchObject({
      customer_id: 'demo',
      event_key: 'signedup',
      rescore_days: 7,
      lookback_days: 30,
    });

    expect(JSON.parse(intent('refresh', '--customer', 'demo', '--json').stdout)).toEqual({
      due: 0,
      results: [],
    });
    // A week later it is due: the run is made again and the saved prediction moves on.
    const file = join(lake, 'intent', 'predictions', 'customer_id=demo', 'signedup.json');
    const weekOld = new Date(Date.now() - 8 * 86_400_000).toISOString();
    writeFileSync(file, JSON.stringify({ ...saved, last_run_at: weekOld }));
    const refreshed = JSON.parse(intent('refresh', '--customer', 'demo', '--json').stdout);

    expect(refreshed).toMatchObject({ due: 1, results: [{ customer: 'demo', asOf: '2026-04-01' }] });
    expect(JSON.parse(readFileSync(file, 'utf8')).last_run_at > weekOld).toBe(true);
  });

  it('never lets an event that only follows a conversion into the features', async () => {
    const local = await openLocalLake(lake);
    try {
      const onboarding = 'onboardingcompleted';
      // The post-conversion event exists, and often, in the customer's history before the cutoff.
      const before = await local.query(
        `SELECT count(*) AS n FROM events_curated WHERE customer_id = 'demo' AND event_key = '${onboarding}' AND "timestamp" < TIMESTAMP '${withSignal.validationCutoff} 00:00:00'`,
      );
      expect(Number(before.rows[0]!.n)).toBeGreaterThan(50);
      const rows = (
        await local.query(
          featuresSql('duckdb', (n) => n, {
            customerId: 'demo',
            eventKey: 'signedup',
            cutoff: withSignal.validationCutoff,
            lookbackDays: 30,
            horizonDays: 14,
            historyDays: 365,
            eventKeys: [onboarding],
            pagePaths: [],
            traitValues: [],
          }),
        )
      ).rows;
      const converters = rows.filter((r) => Number(r.label) === 1);
      expect(converters.length).toBeGreaterThan(20);
      // Not one eligible user — converters in the horizon included — has it before the cutoff.
      expect(rows.every((r) => Number(r[featureName('key', onboarding)]) === 0)).toBe(true);
    } finally {
      local.close();
    }
  });

  it('writes the scores as a table npm run query can read', () => {
    const result = spawnSync(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        'scripts/query.ts',
        "select decile, count(*) as users, min(percentile) as low, max(percentile) as high from scores where customer_id = 'demo' and as_of = DATE '2026-04-01' group by 1 order by 1",
        '--json',
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 60_000 },
    );

    expect(result.stderr).toBe('');
    const deciles = JSON.parse(result.stdout) as { decile: number; users: string }[];
    expect(deciles.map((d) => d.decile)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(deciles.reduce((n, d) => n + Number(d.users), 0)).toBe(withSignal.scored.users);
    // Percentile cohorts: the top decile is the 0.9–1.0 cohort, the bottom one starts at 0.
    const cohorts = deciles as unknown as { low: number; high: number }[];
    expect(cohorts[0]!.low).toBeGreaterThanOrEqual(0.89);
    expect(cohorts[9]!.low).toBe(0);
  });

  it('gives every scored person their three strongest reasons, pricing views first among the top decile', async () => {
    const local = await openLocalLake(lake);
    try {
      const { rows } = await local.query(
        "select decile, reasons from scores where customer_id = 'demo' and as_of = DATE '2026-04-01'",
      );
      expect(rows).toHaveLength(withSignal.scored.users);
      const parsed = rows.map((r) => ({
        decile: Number(r.decile),
        reasons: JSON.parse(String(r.reasons)) as { feature: string; value: number; contribution: number }[],
      }));
      for (const { reasons } of parsed) {
        expect(reasons.length).toBeGreaterThan(0);
        expect(reasons.length).toBeLessThanOrEqual(3);
        const sizes = reasons.map((r) => Math.abs(r.contribution));
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
        expect(reasons.every((r) => withSignal.features.includes(r.feature))).toBe(true);
      }
      const top = parsed.filter((p) => p.decile === 1);
      const pricing = top.filter(
        (p) => p.reasons[0]!.feature === featureName('page', '/pricing') && p.reasons[0]!.contribution > 0,
      );
      expect(pricing.length / top.length).toBeGreaterThan(0.5);
    } finally {
      local.close();
    }
    expect(withSignal.scored.reasons.leading.reduce((n, r) => n + r.persons, 0)).toBe(
      withSignal.scored.users,
    );
    expect(withSignal.scored.reasons.highest).toHaveLength(10);
  });

  itWhen(
    hasChromium() || process.env.CI !== undefined,
    'the intent report checked in Chromium: Chromium is not installed',
  )(
    'renders the report with a lift chart and an ROC curve in Chromium',
    async () => {
      const file = join(dataDir, 'intent-report.html');
      writeFileSync(file, await intentHtml(withSignal));
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
        await page.goto(`file://${file}`);
        for (const id of ['chart-lift', 'chart-roc', 'chart-reliability']) {
          expect(await page.locator(`#${id} svg`).isVisible()).toBe(true);
          expect(await page.locator(`#${id} svg path`).count()).toBeGreaterThan(3);
        }
        expect(await page.locator('#auc').textContent()).toBe(withSignal.validationAuc.toFixed(3));
        expect(await page.locator('#reasons-highest tr').count()).toBe(11);
        expect(await page.locator('#reasons-leading').textContent()).toContain('views of the page /pricing');
        expect(await page.locator('#top-lift').textContent()).toBe(withSignal.deciles[0]!.lift.toFixed(2));
        const shot = await page.screenshot({ fullPage: true });
        expect(shot.subarray(1, 4).toString()).toBe('PNG');
      } finally {
        await browser.close();
      }
    },
    BROWSER_START_TIMEOUT_MS,
  );
});
