import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileTokenStore } from '../adapters/local/file-token-store';
import { type CommandSpec, type Flag, runCommand, UsageError, wholeNumber } from '../cli/command';
import { customerFlag, dayFlag, daysFlag, eventFlag, htmlFlag, jsonFlag } from '../cli/flags';
import { alignedTable } from '../cli/table';
import { INTENT_DEFAULTS, INTENT_LIMITS } from '../domain/core/intent/prepare-run';
import { reasonInWords } from '../domain/core/intent/reasons';
import { dueRefreshes, nextRefresh } from '../domain/core/intent/refresh';
import { MAX_STABILITY_INDEX } from '../domain/core/intent/score-check';
import { compileAliases } from '../domain/core/messages/normalize-event-name';
import { readLocalConfig } from '../local/config';
import { intentHtml } from './intent/intent-html';
import { monitorHtml, monitorIntent } from './intent/monitor';
import { listPredictions, savePrediction } from './intent/predictions';
import { runIntent } from './intent/run-intent';

const INTENT = {
  name: 'npm run intent --',
  summary: [
    'Which users are most likely to perform a conversion event next (lookalike scores from the curated',
    'table; npm run compact first). Features from the look-back before each cutoff, the label from the',
    'horizon after; trained on an earlier cutoff, validated on a later one; the better of a regularized',
    'logistic regression and gradient-boosted trees (by validation AUC) scores users at --as-of. Writes the',
    'scores (npm run query: the scores table) and report.html. docs/intent.md.',
  ].join('\n'),
  flags: {
    customer: customerFlag('the customer (required)'),
    event: eventFlag('the conversion, in any spelling: signed_up, "Signed Up" (required)'),
    'as-of': dayFlag("the scoring date (default: the day after the customer's latest event)"),
    lookback: daysFlag('behaviour window', 1, INTENT_LIMITS.lookbackDays, `${INTENT_DEFAULTS.lookbackDays}d`),
    horizon: daysFlag('conversion window', 1, INTENT_LIMITS.horizonDays, `${INTENT_DEFAULTS.horizonDays}d`),
    'max-users': {
      kind: 'value',
      schema: wholeNumber(100, 10_000_000),
      unit: 'users',
      description: 'users a model trains on at most (a seeded sample above)',
      default: '50000',
    },
    html: htmlFlag('where to write the report page (default: report.html beside the scores)'),
    json: jsonFlag('the report as JSON on stdout'),
  },
  examples: [
    'npm run intent -- --customer demo --event signed_up',
    'npm run intent -- --customer acme --event "Order Completed" --as-of 2026-11-01 --horizon 7d',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

/** `npm run intent -- monitor`: how a scoring did, once its users had time to convert. */
const MONITOR = {
  name: 'npm run intent -- monitor',
  label: 'intent monitor',
  summary: [
    'Model monitoring, as Segment does after a week: the latest scoring of an event against what its',
    "users did since — per percentile cohort, the conversions and the rate beside the model's predicted",
    'one, and the realized AUC. Reads the intent_outcomes view (the same SQL on Athena). docs/intent.md.',
  ].join('\n'),
  flags: {
    customer: customerFlag('the customer (required)'),
    event: eventFlag('the predicted event, in any spelling (required)'),
    'as-of': dayFlag('the scoring to monitor (default: the latest)'),
    html: htmlFlag('also write the comparison as an HTML page with charts'),
    json: jsonFlag('the report as JSON on stdout'),
  },
  examples: ['npm run intent -- monitor --customer demo --event signed_up'],
} as const satisfies CommandSpec<Record<string, Flag>>;

/** `npm run intent -- list` and `refresh`: the saved predictions, and running those that are due. */
const LIST = {
  name: 'npm run intent -- list',
  label: 'intent list',
  summary:
    'The saved predictions (every npm run intent saves its customer, event and windows), and when each is next due.',
  flags: { customer: customerFlag("only this customer's predictions"), json: jsonFlag('a JSON array') },
  examples: ['npm run intent -- list'],
} as const satisfies CommandSpec<Record<string, Flag>>;
const REFRESH = {
  name: 'npm run intent -- refresh',
  label: 'intent refresh',
  summary: [
    'Runs every saved prediction that is due (its last run at least 7 days old, as Segment rescores weekly):',
    'features, training and scoring again at the day after the latest event. Run it daily from cron.',
  ].join('\n'),
  flags: { customer: customerFlag('only this customer'), json: jsonFlag('what ran, as JSON') },
  examples: ['npm run intent -- refresh'],
} as const satisfies CommandSpec<Record<string, Flag>>;
const lakeOf = () => {
  const { dataDir } = readLocalConfig(process.env);
  const lakeRoot = join(dataDir, 'lake');
  if (!existsSync(lakeRoot)) throw new Error(`no lake at ${lakeRoot}: is DATA_DIR right?`);
  return { dataDir, lakeRoot };
};

/** The customer and event a command is asked about, the lake, and the customer's event aliases. */
async function askedFor(values: { customer?: string | undefined; event?: string | undefined }) {
  if (!values.customer || !values.event)
    throw new UsageError('--customer <id> and --event <name> are required');
  const { dataDir, lakeRoot } = lakeOf();
  const found = await new FileTokenStore(dataDir).getCustomer(values.customer);
  return {
    lakeRoot,
    customer: values.customer,
    event: values.event,
    aliases: compileAliases(found?.eventAliases),
  };
}

if (process.argv[2] === 'list')
  runCommand(
    LIST,
    ({ values }) => {
      const saved = listPredictions(lakeOf().lakeRoot, values.customer);
      if (values.json) return void process.stdout.write(`${JSON.stringify(saved)}\n`);
      if (saved.length === 0)
        return void process.stdout.write('No saved predictions: npm run intent saves one.\n');
      process.stdout.write(
        `${alignedTable(
          [
            ['CUSTOMER', 'EVENT', 'LOOK-BACK', 'HORIZON', 'LAST RUN', 'SCORED AT', 'NEXT DUE'],
            ...saved.map((p) => [
              p.customer_id,
              p.event,
              `${p.lookback_days} d`,
              `${p.horizon_days} d`,
              p.last_run_at,
              p.last_as_of,
              nextRefresh(p),
            ]),
          ],
          { right: [2, 3] },
        )}\n`,
      );
    },
    process.argv.slice(3),
  );
else if (process.argv[2] === 'refresh')
  runCommand(
    REFRESH,
    async ({ values }) => {
      const { dataDir, lakeRoot } = lakeOf();
      const due = dueRefreshes(listPredictions(lakeRoot, values.customer), Date.now());
      const results: { customer: string; event: string; asOf?: string; grade?: string; error?: string }[] =
        [];
      for (const p of due) {
        process.stderr.write(`intent refresh: ${p.customer_id} "${p.event}"…\n`);
        try {
          const customer = await new FileTokenStore(dataDir).getCustomer(p.customer_id);
          const report = await runIntent({
            lakeRoot,
            customer: p.customer_id,
            event: p.event,
            aliases: compileAliases(customer?.eventAliases),
            lookbackDays: p.lookback_days,
            horizonDays: p.horizon_days,
          });
          writeFileSync(join(dirname(report.scored.file), 'report.html'), await intentHtml(report));
          savePrediction(lakeRoot, report, new Date());
          results.push({
            customer: p.customer_id,
            event: p.event,
            asOf: report.asOf,
            grade: report.quality.grade,
          });
        } catch (error) {
          results.push({ customer: p.customer_id, event: p.event, error: (error as Error).message });
        }
      }
      if (values.json) process.stdout.write(`${JSON.stringify({ due: due.length, results })}\n`);
      else
        process.stdout.write(
          `${due.length === 0 ? 'Nothing due.' : results.map((r) => (r.error ? `${r.customer} "${r.event}": failed: ${r.error}` : `${r.customer} "${r.event}": scored at ${r.asOf} (${r.grade})`)).join('\n')}\n`,
        );
      if (results.some((r) => r.error)) process.exitCode = 1;
    },
    process.argv.slice(3),
  );
else if (process.argv[2] === 'monitor')
  runCommand(
    MONITOR,
    async ({ values }) => {
      const { lakeRoot, customer, event, aliases } = await askedFor(values);
      const report = await monitorIntent({
        lakeRoot,
        customer,
        event,
        aliases,
        ...(values['as-of'] ? { asOf: values['as-of'] } : {}),
      });
      if (values.html) writeFileSync(values.html, await monitorHtml(report));
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
      process.stdout.write(
        `${[
          `"${report.event}" (key ${report.eventKey}) for ${report.customer}: the scoring of ${report.asOf}, events observed until ${report.observedUntil ?? '–'}`,
          `${report.users} users scored, ${report.converted} converted since; realized AUC ${Number.isNaN(report.realizedAuc) ? '– (no conversions yet)' : report.realizedAuc.toFixed(3)}, realized calibration error ${report.realizedCalibrationError.toFixed(4)}`,
          '',
          alignedTable(
            [
              ['COHORT', 'USERS', 'CONVERTED', 'REALIZED', 'PREDICTED'],
              ...report.cohorts.map((c) => [
                `${c.cohort.toFixed(1)}–${(c.cohort + 0.1).toFixed(1)}`,
                String(c.users),
                String(c.converted),
                pct(c.realized),
                pct(c.predicted),
              ]),
            ],
            { right: [1, 2, 3, 4] },
          ),
          ...(values.html ? ['', `Report: ${values.html}`] : []),
        ].join('\n')}\n`,
      );
    },
    process.argv.slice(3),
  );
else
  runCommand(INTENT, async ({ values }) => {
    const { lakeRoot, customer, event, aliases } = await askedFor(values);
    const report = await runIntent({
      lakeRoot,
      customer,
      event,
      aliases,
      ...(values['as-of'] ? { asOf: values['as-of'] } : {}),
      lookbackDays: values.lookback,
      horizonDays: values.horizon,
      maxTrainingUsers: values['max-users'],
      onStep: (step) => process.stderr.write(`intent: ${step}…\n`),
    });
    // Saved, so npm run intent -- refresh runs it again when it is due.
    savePrediction(lakeRoot, report, new Date());
    const html = values.html ?? join(dirname(report.scored.file), 'report.html');
    writeFileSync(html, await intentHtml(report));
    // A model below the floor is written (for inspection) but the command fails, so no script ships it —
    // with --json as without: the report on stdout, then the same exit.
    if (!report.quality.recommended) process.exitCode = 1;
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    process.stdout.write(
      `${[
        `Intent to "${report.event}" (key ${report.eventKey}) for ${report.customer}, scored at ${report.asOf}`,
        `slices: ${report.slices.map((x) => `${x.name} ${x.cutoff} (${x.users} users, ${x.converted} converted)`).join(', ')}${report.training.sampledFrom ? `; training a sample of ${report.training.sampledFrom}` : ''}; look-back ${report.lookbackDays} d, horizon ${report.horizonDays} d`,
        '',
        alignedTable(
          [
            ['MODEL', 'CALIBRATED LOG LOSS', 'AUC', 'SETTINGS'],
            ...report.models.map((m) => [
              m.name,
              m.logLoss.toFixed(4),
              m.auc.toFixed(3),
              Object.entries(m.settings ?? {})
                .map(([k, v]) => `${k} ${v}`)
                .join(', '),
            ]),
          ],
          { right: [1, 2] },
        ),
        `chosen on the calibration slice by calibrated log loss: ${report.chosen} (calibration: log-odds × ${report.calibration.slope.toFixed(3)} ${report.calibration.intercept < 0 ? '−' : '+'} ${Math.abs(report.calibration.intercept).toFixed(3)})`,
        `quality on the report slice: ${report.quality.grade} — AUC ${report.quality.auc.toFixed(3)}, log loss ${report.quality.logLoss.toFixed(4)} (base rate alone: ${report.quality.baselineLogLoss.toFixed(4)}), calibration error ${report.quality.calibrationError.toFixed(4)}, lift quality ${report.quality.liftQuality.toFixed(2)} (top 20 % vs everyone); ${report.featureCount} features`,
        ...(report.caveat ? [`note: ${report.caveat}`] : []),
        ...(report.quality.recommended
          ? []
          : [
              `NOT RECOMMENDED: a ${report.quality.grade} model predicts little better than chance; do not act on these scores (docs/intent.md, "Quality grade").`,
            ]),
        '',
        alignedTable(
          [
            ['COHORT', 'USERS', 'CONVERTED', 'RATE', 'MEAN PROBABILITY', 'LIFT'],
            ...report.deciles.map((d) => [
              cohortLabel(d.decile),
              String(d.users),
              String(d.converted),
              pct(d.rate),
              pct(d.meanScore),
              d.lift.toFixed(2),
            ]),
          ],
          { right: [0, 1, 2, 3, 4, 5] },
        ),
        '',
        'Strongest features:',
        ...report.strongest.map((s) => `  ${s.words}`),
        '',
        `Each person's three strongest reasons are in the scores' reasons column; the highest score's: ${report.scored.reasons.highest[0]?.reasons.map(reasonInWords).join('; ') ?? '–'}`,
        `Scored ${report.scored.users} users: ${report.scored.file} (probabilities ${pct(report.scored.check.low)}–${pct(report.scored.check.high)}; stability against the report slice ${report.scored.check.stabilityIndex.toFixed(3)}, refused above ${MAX_STABILITY_INDEX})`,
        `Report: ${html}. Run metadata: ${report.scored.report}`,
        'Query: npm run query -- "select decile, count(*), min(percentile) from scores group by 1 order by 1"',
      ].join('\n')}\n`,
    );
  });

/** Decile 1 is the top 10 %: percentile cohort 0.9–1.0. */
function cohortLabel(decile: number): string {
  return `${((10 - decile) / 10).toFixed(1)}–${((11 - decile) / 10).toFixed(1)}`;
}
