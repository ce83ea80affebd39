import { type ChartSpec, chartFigure, escapeHtml, htmlPage } from '../report/html-report';
import { type LiftReport, liftVerdict } from './audiences';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const points = (x: number) => Number((x * 100).toFixed(2));

/**
 * The lift report people look at: the two groups' cumulative conversion rates day by day since the
 * start, and the uplift with its 95 % interval (vega-lite rendered to SVG, no script).
 */
export async function liftHtml(report: LiftReport): Promise<string> {
  const curves: ChartSpec = {
    $schema: SCHEMA,
    title: `Cumulative conversion on "${report.event}" since ${report.since}`,
    width: 560,
    height: 260,
    data: { values: report.daily.map((d) => ({ ...d, rate: points(d.rate) })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'day', type: 'temporal', title: 'day (the events’ own date)' },
      y: { field: 'rate', type: 'quantitative', title: 'converted (%)' },
      color: { field: 'group', type: 'nominal', title: 'group' },
    },
  };
  const [low, high] = report.uplift.ci95;
  const interval: ChartSpec = {
    $schema: SCHEMA,
    title: 'Uplift (target − holdout) with its 95 % interval, in points',
    width: 560,
    height: 60,
    data: {
      values: [
        { what: 'uplift', low: points(low), high: points(high), uplift: points(report.uplift.absolute) },
      ],
    },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 3 },
        encoding: {
          x: { field: 'low', type: 'quantitative', title: 'percentage points' },
          x2: { field: 'high' },
          y: { field: 'what', type: 'nominal', title: null },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: { x: { field: 'uplift', type: 'quantitative' }, y: { field: 'what', type: 'nominal' } },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
    ],
  };
  const row = (id: string, label: string, value: string) =>
    `<tr><th>${escapeHtml(label)}</th><td class="n" id="${id}">${escapeHtml(value)}</td></tr>`;
  const verdict = liftVerdict(report);
  return htmlPage(
    `Lift of ${report.audience} (${report.customer})`,
    `<table>
${row('target-rate', `target: ${report.target.converted} of ${report.target.users}`, `${points(report.target.rate)} %`)}
${row('holdout-rate', `holdout: ${report.holdout.converted} of ${report.holdout.users}`, `${points(report.holdout.rate)} %`)}
${row('uplift', 'uplift (points)', points(report.uplift.absolute).toFixed(2))}
${row('ci95', '95 % interval (Newcombe)', `[${points(low).toFixed(2)}, ${points(high).toFixed(2)}]`)}
${row('p-value', 'p-value (two-sided)', report.pValue.toFixed(4))}
</table>
<p id="verdict">${escapeHtml(verdict)}</p>
${await chartFigure('chart-curves', curves)}
${await chartFigure('chart-interval', interval)}`,
  );
}
