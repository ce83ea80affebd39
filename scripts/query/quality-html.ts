import type { QualityReport } from '../../domain/core/quality/quality-report';
import { barSpec, chartFigure, escapeHtml, htmlPage } from '../report/html-report';

async function barChart(
  id: string,
  title: string,
  rows: { label: string; count: number }[],
): Promise<string> {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(title)}: none.</p>`;
  return chartFigure(id, barSpec(title, rows));
}

/** A self-contained HTML page of the report: numbers, and bar charts rendered to SVG. */
export async function qualityHtml(customerId: string, since: string, report: QualityReport): Promise<string> {
  const charts = await Promise.all([
    barChart(
      'violations',
      'Plan violations by event, property and rule',
      report.violations.map((v) => ({ label: `${v.event} · ${v.path} · ${v.rule}`, count: v.count })),
    ),
    barChart(
      'unplanned',
      'Unplanned events',
      report.unplanned.map((u) => ({ label: u.event, count: u.count })),
    ),
    barChart(
      'spellings',
      'Spellings folded into each canonical name',
      report.spellings.map((s) => ({
        label: `${s.event} (${s.spellings.map((x) => x.name).join(', ')})`,
        count: s.spellings.length,
      })),
    ),
    barChart(
      'quarantine-reasons',
      'Quarantine reasons',
      report.quarantineReasons.map((q) => ({ label: q.reason, count: q.count })),
    ),
  ]);
  return htmlPage(
    `Data quality: ${customerId}`,
    `<p>Events received since ${escapeHtml(since)}.</p>
<table>
<tr><th>events</th><td id="events">${report.events}</td></tr>
<tr><th>checked against the plan</th><td id="checked">${report.checked}</td></tr>
<tr><th>landed with violations</th><td id="violating">${report.violating}</td></tr>
<tr><th>quarantined</th><td id="quarantined">${report.quarantineReasons.reduce((n, q) => n + q.count, 0)}</td></tr>
</table>
${charts.join('\n')}`,
  );
}
