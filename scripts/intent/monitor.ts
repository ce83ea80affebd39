import { SCORES_TABLE } from '../../domain/contract/curated-table';
import { INTENT_OUTCOMES_VIEW } from '../../domain/contract/sql/lake-views-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import { type CohortOutcome, monitorOutcomes } from '../../domain/core/intent/model-quality';
import { normalizeEventName } from '../../domain/core/messages/normalize-event-name';
import { openLocalLake } from '../../local/lake-query';
import { barSpec, type ChartSpec, chartFigure, escapeHtml, htmlPage } from '../report/html-report';

export interface MonitorReport {
  customer: string;
  event: string;
  eventKey: string;
  /** The scoring monitored: the latest unless one was named. */
  asOf: string;
  /** The last day of events the lake holds for the customer: how long outcomes have had. */
  observedUntil: string | null;
  users: number;
  converted: number;
  realizedAuc: number;
  /** Each cohort's predicted rate against its realized one, weighted by its users (0: calibrated). */
  realizedCalibrationError: number;
  cohorts: CohortOutcome[];
}

/**
 * `npm run intent -- monitor`: the latest scoring of (customer, event) against what its users did
 * since, by percentile cohort, from the `intent_outcomes` view (the same SQL on Athena).
 */
export async function monitorIntent(options: {
  lakeRoot: string;
  customer: string;
  event: string;
  aliases?: ReadonlyMap<string, string>;
  asOf?: string;
}): Promise<MonitorReport> {
  const eventKey = normalizeEventName(options.event, options.aliases).key;
  const lake = await openLocalLake(options.lakeRoot);
  try {
    const where = `customer_id = ${literal(options.customer)} AND event_key = ${literal(eventKey)}`;
    const [latest] = (
      await lake.query(`SELECT CAST(max(as_of) AS VARCHAR) AS d FROM ${SCORES_TABLE} WHERE ${where}`)
    ).rows;
    const asOf = options.asOf ?? (latest?.d ? String(latest.d) : undefined);
    if (!asOf)
      throw new Error(
        `no scores of "${options.event}" for ${options.customer}: run npm run intent -- --customer ${options.customer} --event ${JSON.stringify(options.event)} first`,
      );
    const { rows } = await lake.query(
      `SELECT probability, percentile, converted FROM ${INTENT_OUTCOMES_VIEW} WHERE ${where} AND as_of = DATE ${literal(asOf)}`,
    );
    if (rows.length === 0) throw new Error(`no scoring of ${options.customer}/${eventKey} at ${asOf}`);
    const [seen] = (
      await lake.query(
        `SELECT CAST(max(event_date) AS VARCHAR) AS d FROM events_curated WHERE customer_id = ${literal(options.customer)}`,
      )
    ).rows;
    const outcome = monitorOutcomes(
      rows.map((r) => ({
        probability: Number(r.probability),
        percentile: Number(r.percentile),
        converted: Number(r.converted),
      })),
    );
    return {
      customer: options.customer,
      event: options.event,
      eventKey,
      asOf,
      observedUntil: seen?.d ? String(seen.d) : null,
      ...outcome,
    };
  } finally {
    lake.close();
  }
}

/** The monitoring page: realized conversion rate per cohort beside the predicted one. */
export async function monitorHtml(report: MonitorReport): Promise<string> {
  const label = (c: CohortOutcome) => `${c.cohort.toFixed(1)}–${(c.cohort + 0.1).toFixed(1)}`;
  const compared: ChartSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Predicted and realized conversion by percentile cohort (scored ${report.asOf})`,
    width: 520,
    height: 260,
    data: {
      values: report.cohorts.flatMap((c) => [
        { cohort: label(c), what: 'predicted', rate: Number((c.predicted * 100).toFixed(2)) },
        { cohort: label(c), what: 'realized', rate: Number((c.realized * 100).toFixed(2)) },
      ]),
    },
    mark: 'bar',
    encoding: {
      x: { field: 'cohort', type: 'nominal', sort: null, title: 'percentile cohort' },
      xOffset: { field: 'what' },
      y: { field: 'rate', type: 'quantitative', title: 'conversion (%)' },
      color: { field: 'what', type: 'nominal' },
    },
  };
  const realized = await chartFigure(
    'chart-realized',
    barSpec(
      'Realized conversions by percentile cohort',
      report.cohorts.map((c) => ({ label: label(c), count: c.converted })),
      'users who converted since the scoring',
      { sorted: false },
    ),
  );
  return htmlPage(
    `Monitoring: ${report.event} for ${report.customer}`,
    `<table>
<tr><th>scored at</th><td id="as-of">${escapeHtml(report.asOf)}</td></tr>
<tr><th>events observed until</th><td>${escapeHtml(report.observedUntil ?? '–')}</td></tr>
<tr><th>users scored / converted since</th><td class="n">${report.users} / ${report.converted}</td></tr>
<tr><th>realized AUC</th><td class="n" id="realized-auc">${Number.isNaN(report.realizedAuc) ? '–' : report.realizedAuc.toFixed(3)}</td></tr>
<tr><th>realized calibration error (cohorts)</th><td class="n" id="realized-calibration-error">${report.realizedCalibrationError.toFixed(4)}</td></tr>
</table>
${await chartFigure('chart-compared', compared)}
${realized}`,
  );
}
