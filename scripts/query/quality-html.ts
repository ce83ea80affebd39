// vega and vega-lite render the charts to SVG in Node: the page needs no script and no CDN.
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { QualityReport } from '../../lambdas/core/quality/quality-report';

async function barChart(title: string, rows: { label: string; count: number }[]): Promise<string> {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(title)}: none.</p>`;
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 640,
    height: { step: 22 },
    data: { values: rows.slice(0, 25) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 320 } },
      x: { field: 'count', type: 'quantitative', title: 'count' },
    },
  }).spec;
  return new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG();
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A self-contained HTML page of the report: numbers, and bar charts rendered to SVG. */
export async function qualityHtml(customerId: string, since: string, report: QualityReport): Promise<string> {
  const charts = await Promise.all([
    barChart(
      'Plan violations by event, property and rule',
      report.violations.map((v) => ({ label: `${v.event} · ${v.path} · ${v.rule}`, count: v.count })),
    ),
    barChart(
      'Unplanned events',
      report.unplanned.map((u) => ({ label: u.event, count: u.count })),
    ),
    barChart(
      'Spellings folded into each canonical name',
      report.spellings.map((s) => ({
        label: `${s.event} (${s.spellings.map((x) => x.name).join(', ')})`,
        count: s.spellings.length,
      })),
    ),
    barChart(
      'Quarantine reasons',
      report.quarantineReasons.map((q) => ({ label: q.reason, count: q.count })),
    ),
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data quality: ${escapeHtml(customerId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:60rem}td,th{padding:.2rem .8rem;text-align:left}.empty{color:#666}</style>
</head><body>
<h1>Data quality: ${escapeHtml(customerId)}</h1>
<p>Events received since ${escapeHtml(since)}.</p>
<table>
<tr><th>events</th><td id="events">${report.events}</td></tr>
<tr><th>checked against the plan</th><td id="checked">${report.checked}</td></tr>
<tr><th>landed with violations</th><td id="violating">${report.violating}</td></tr>
<tr><th>quarantined</th><td id="quarantined">${report.quarantineReasons.reduce((n, q) => n + q.count, 0)}</td></tr>
</table>
${charts.map((c) => `<figure>${c}</figure>`).join('\n')}
</body></html>
`;
}
