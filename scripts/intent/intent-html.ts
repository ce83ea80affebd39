import { featureInWords, reasonInWords } from '../../domain/core/intent/reasons';
import { MAX_STABILITY_INDEX } from '../../domain/core/intent/score-check';
import { barSpec, type ChartSpec, chartFigure, escapeHtml, htmlPage } from '../report/html-report';
import type { IntentReport } from './run-intent';

/** The ROC curve of the validation cutoff, with the diagonal a coin would draw. */
function rocSpec(report: IntentReport): ChartSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `ROC on the report slice (AUC ${report.validationAuc.toFixed(3)})`,
    width: 360,
    height: 360,
    layer: [
      {
        data: { values: report.roc },
        mark: { type: 'line', point: false },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false-positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true-positive rate', scale: { domain: [0, 1] } },
        },
      },
      {
        data: {
          values: [
            { fpr: 0, tpr: 0 },
            { fpr: 1, tpr: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
      },
    ],
  };
}

/**
 * The reliability diagram of the report slice: each decile's mean predicted probability against the
 * share that converted; a calibrated model's points lie on the diagonal.
 */
function reliabilitySpec(report: IntentReport): ChartSpec {
  const top = Math.max(0.01, ...report.deciles.flatMap((d) => [d.meanScore, d.rate])) * 1.05;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Reliability on the report slice (calibration error ${report.quality.calibrationError.toFixed(4)})`,
    width: 360,
    height: 360,
    layer: [
      {
        data: {
          values: report.deciles.map((d) => ({ predicted: d.meanScore, observed: d.rate, decile: d.decile })),
        },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'predicted',
            type: 'quantitative',
            title: 'mean predicted probability',
            scale: { domain: [0, top] },
          },
          y: { field: 'observed', type: 'quantitative', title: 'converted', scale: { domain: [0, top] } },
        },
      },
      {
        data: {
          values: [
            { predicted: 0, observed: 0 },
            { predicted: top, observed: top },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: {
          x: { field: 'predicted', type: 'quantitative' },
          y: { field: 'observed', type: 'quantitative' },
        },
      },
    ],
  };
}

/** The report as a page: the figures, a lift chart per decile and the ROC curve (vega-lite, no script). */
export async function intentHtml(report: IntentReport): Promise<string> {
  // The main chart, as Segment shows a prediction: conversions by percentile cohort.
  const cohorts = await chartFigure(
    'chart-cohorts',
    barSpec(
      'Conversion rate by percentile cohort on the report slice (0.9–1.0 = the top 10 %)',
      report.deciles.map((d) => ({
        label: `${((10 - d.decile) / 10).toFixed(1)}–${((11 - d.decile) / 10).toFixed(1)}`,
        count: Number((d.rate * 100).toFixed(2)),
      })),
      'converted (%)',
      { sorted: false },
    ),
  );
  const lift = await chartFigure(
    'chart-lift',
    barSpec(
      'Lift per score decile on the report slice (1 = highest scores)',
      report.deciles.map((d) => ({ label: `decile ${d.decile}`, count: Number(d.lift.toFixed(2)) })),
      'conversion rate ÷ base rate',
      { sorted: false },
    ),
  );
  const roc = await chartFigure('chart-roc', rocSpec(report));
  const reliability = await chartFigure('chart-reliability', reliabilitySpec(report));
  const row = (id: string, label: string, value: string) =>
    `<tr><th>${escapeHtml(label)}</th><td class="n" id="${id}">${escapeHtml(value)}</td></tr>`;
  return htmlPage(
    `Intent to ${report.event}: ${report.customer}`,
    `<table>
${row('as-of', 'scored at', report.asOf)}
${row('cutoffs', 'trained at / reported at', `${report.trainingCutoff} / ${report.validationCutoff}`)}
${row('slices', 'slices (cutoff, users, converted)', report.slices.map((x) => `${x.name} ${x.cutoff} ${x.users}/${x.converted}`).join('; '))}
${row('windows', 'look-back / horizon (days)', `${report.lookbackDays} / ${report.horizonDays}`)}
${row('model', 'model chosen by calibrated log loss', report.chosen)}
${row('grade', 'quality grade', `${report.quality.grade}${report.quality.recommended ? '' : ' — not recommended: do not act on these scores'}`)}
${report.caveat ? row('caveat', 'note', report.caveat) : ''}
${row('auc', 'AUC (report slice)', report.validationAuc.toFixed(3))}
${row('calibration-error', 'expected calibration error (deciles)', report.quality.calibrationError.toFixed(4))}
${row('log-loss', 'log loss (base rate alone)', `${report.quality.logLoss.toFixed(4)} (${report.quality.baselineLogLoss.toFixed(4)})`)}
${row('lift-quality', 'lift quality (top 20 % vs everyone)', report.quality.liftQuality.toFixed(2))}
${row('counts', 'users / converted / features (training)', `${report.training.users} / ${report.training.converted} / ${report.featureCount}`)}
${row('top-lift', 'top-decile lift', report.deciles[0]!.lift.toFixed(2))}
${row('scored', 'users scored', String(report.scored.users))}
${row('stability', `stability index of the scores (refused above ${MAX_STABILITY_INDEX})`, report.scored.check.stabilityIndex.toFixed(3))}
</table>
<h2>Strongest features</h2>
<ul>${report.strongest.map((s) => `<li>${escapeHtml(s.words)}</li>`).join('')}</ul>
<h2>Why each person scores as they do</h2>
<p>Every row of the scores table holds its person’s three strongest reasons (column <code>reasons</code>): each feature’s share of their log-odds against the average user’s (TreeSHAP for the trees, coefficient × value for the regression).</p>
<table id="reasons-leading"><tr><th>strongest reason</th><th>persons</th></tr>
${report.scored.reasons.leading
  .slice(0, 10)
  .map((r) => `<tr><td>${escapeHtml(featureInWords(r.feature))}</td><td class="n">${r.persons}</td></tr>`)
  .join('\n')}
</table>
<table id="reasons-highest"><tr><th>rank</th><th>probability</th><th>reasons</th></tr>
${report.scored.reasons.highest
  .map(
    (h) =>
      `<tr><td class="n">${h.rank}</td><td class="n">${(h.probability * 100).toFixed(1)} %</td><td>${escapeHtml(h.reasons.map(reasonInWords).join('; '))}</td></tr>`,
  )
  .join('\n')}
</table>
${cohorts}
${lift}
${roc}
${reliability}
<h2>Calibration (report slice)</h2>
<table><tr><th>decile</th><th>users</th><th>converted</th><th>rate</th><th>mean score</th><th>lift</th></tr>
${report.deciles.map((d) => `<tr><td>${d.decile}</td><td class="n">${d.users}</td><td class="n">${d.converted}</td><td class="n">${(d.rate * 100).toFixed(1)} %</td><td class="n">${(d.meanScore * 100).toFixed(1)} %</td><td class="n">${d.lift.toFixed(2)}</td></tr>`).join('\n')}
</table>`,
  );
}
