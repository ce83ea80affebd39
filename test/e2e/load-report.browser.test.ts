import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { readArtilleryReport } from '../../scripts/load/artillery-config';
import { type LoadReportInput, loadReportHtml, loadSeries } from '../../scripts/load/load-report';
import { type LoadLedgerLine, reconcile } from '../../scripts/load/reconcile';
import { BROWSER_START_TIMEOUT_MS, launchChromium } from '../support/browser';

// An artillery `--output` report of three 10-s periods, shaped as artillery 2.0 writes it (fixed times:
// the page must not depend on today).
const T0 = Date.parse('2026-03-01T10:00:00Z');
const period = (i: number, ok: number, refused: number, p99: number) => ({
  period: String(T0 + i * 10_000),
  firstCounterAt: T0 + i * 10_000 + 100,
  lastCounterAt: T0 + i * 10_000 + 9_900,
  counters: { 'http.requests': ok + refused, 'http.codes.200': ok, 'http.codes.400': refused },
  summaries: { 'http.response_time': { p50: 2 + i, p95: 6 + i, p99, max: p99 + 5, median: 2 + i } },
});
const artilleryOutput = {
  aggregate: {
    counters: { 'http.requests': 1_230, 'http.codes.200': 1_218, 'http.codes.400': 12 },
    summaries: { 'http.response_time': { p50: 3, p95: 7, p99: 14.7, p999: 21, max: 40 } },
    firstCounterAt: T0 + 100,
    lastCounterAt: T0 + 29_900,
  },
  intermediate: [period(0, 98, 2, 9), period(1, 400, 4, 12.5), period(2, 720, 6, 14.7)],
};
const ledger: LoadLedgerLine[] = [
  { customerId: 'c', valid: ['a', 'b', 'c'], invalid: ['x'], duplicates: [], status: 200 },
  { customerId: 'c', valid: ['d'], invalid: [], duplicates: ['a'], status: 200 },
];

describe('the load report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'load-report-'));
    browser = await launchChromium();
  }, BROWSER_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the four charts and the very numbers of result.json', async () => {
    const reconciliation = reconcile(ledger, ['a', 'b', 'c', 'd', 'a'], ['x']);
    const memory = [0, 2, 4, 6].map((s, i) => ({ atMs: T0 + s * 1000, mib: 90 + i }));
    // result.json as the load command writes it, read back as a reader of the file would.
    const result: LoadReportInput = JSON.parse(
      JSON.stringify({
        mode: 'load',
        target: 'http://127.0.0.1:1',
        artillery: readArtilleryReport(artilleryOutput),
        reconciliation,
        series: loadSeries(artilleryOutput.intermediate, memory),
        failures: [],
      }),
    );
    const file = join(dir, 'report.html');
    writeFileSync(file, await loadReportHtml(result));

    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.goto(`file://${file}`);

    for (const id of ['chart-requests', 'chart-latency', 'chart-memory', 'chart-reconciliation']) {
      const chart = page.locator(`#${id} svg`);
      expect(await chart.isVisible()).toBe(true);
      expect((await chart.boundingBox())!.width).toBeGreaterThan(300);
      // Marks, not just axes: vega draws lines and bars as paths.
      expect(await page.locator(`#${id} svg path`).count()).toBeGreaterThan(3);
    }
    const text = async (id: string) => (await page.locator(`#${id}`).textContent())?.trim();
    expect(await text('verdict')).toBe('passed');
    expect(await text('requests')).toBe(result.artillery.requests.toLocaleString('en-US'));
    expect(await text('p99')).toBe(String(result.artillery.latencyMs.p99));
    expect(await text('answers')).toBe('200: 1218, 400: 12');
    expect(await text('acknowledged')).toBe(String(result.reconciliation.acknowledgedMessages));
    expect(await text('landed')).toBe(String(result.reconciliation.landedLines));
    expect(await text('missing')).toBe('0');
    expect(await text('quarantined')).toBe('1 of 1');
    // The chart shows result.json's series: the last period's p99 is a point of the latency chart.
    expect(result.series.latencyMs).toContainEqual({ t: 20, series: 'p99', value: 14.7 });
    expect(await page.locator('#chart-latency').innerHTML()).toContain('p99');

    const shot = await page.screenshot({ fullPage: true });
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    writeFileSync(join(dir, 'report.png'), shot);
    expect(shot.length).toBeGreaterThan(20_000);
  });

  it('says FAILED and why, first', async () => {
    const html = await loadReportHtml({
      mode: 'soak',
      target: 'http://127.0.0.1:1',
      artillery: readArtilleryReport(artilleryOutput),
      reconciliation: reconcile(ledger, ['a', 'b', 'c'], []),
      series: loadSeries(artilleryOutput.intermediate, []),
      failures: ['1 acknowledged messages missing from the lake'],
    });
    const page = await browser.newPage();
    await page.setContent(html);

    expect((await page.locator('#verdict').textContent())?.trim()).toBe('FAILED');
    expect(await page.locator('li').first().textContent()).toContain('missing from the lake');
    expect(await page.locator('#missing').textContent()).toBe('1');
    expect(await page.locator('#chart-memory').count()).toBe(0);
  });
});
