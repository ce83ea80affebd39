import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import * as v from 'valibot';
import { athenaQuery } from '../adapters/aws/athena-query';
import { type CommandSpec, type CommandValues, type Flag, runCommand, UsageError } from '../cli/command';
import { customerFlag, dayFlag, htmlFlag, jsonFlag } from '../cli/flags';
import { receivedDt } from '../domain/contract/lake-areas';
import { athenaRuleViolations } from '../domain/contract/sql/athena-rules';
import { QUESTIONS, type Question } from '../domain/contract/sql/questions-sql';
import { DEFAULT_STACK_NAME, glueDatabaseName } from '../domain/contract/stack-outputs';
import { qualityReport } from '../domain/core/quality/quality-report';
import { readLocalConfig } from '../local/config';
import { DAMAGED_AREA, damageLog, describeDamage, lostByCustomer } from '../local/damaged-objects';
import { openLocalLake, QueryRefused, type QueryResult } from '../local/lake-query';
import { readLake } from '../local/read-lake';
import { resultCsv, resultTable } from './query/format-result';
import { qualityHtml } from './query/quality-html';

const QUESTION_FLAGS = Object.keys(QUESTIONS) as Question[];

const QUERY = {
  name: 'npm run query --',
  label: 'query',
  summary: `Questions about the lake, read-only: it never changes it. Locally DuckDB over $DATA_DIR/lake,
with Athena's table and view names: events, quarantine, ledger (landing, by receive date),
events_curated (npm run compact), completeness and curated_completeness. Ask in SQL (one SELECT), or
a canned question: --completeness ("did all of it arrive, and is it in the curated table?"),
--quarantine-reasons, --top-events, or --quality (the data-quality report, docs/data-quality.md).
With --athena --workgroup the canned questions run on AWS. Data on stdout, messages on stderr.`,
  positionals: { names: ['sql'], required: 0 },
  flags: {
    completeness: {
      kind: 'switch',
      description: 'per customer and receive day: acknowledged, landed, curated',
    },
    'quarantine-reasons': { kind: 'switch', description: 'why messages were quarantined' },
    'top-events': { kind: 'switch', description: 'the most frequent track events (curated table)' },
    quality: { kind: 'switch', description: 'the data-quality report of one customer' },
    customer: customerFlag('only this customer (required by --quality)'),
    since: dayFlag('only from this UTC date on (default: everything)'),
    json: jsonFlag('the rows as JSON on stdout'),
    csv: { kind: 'switch', description: 'the rows as CSV on stdout' },
    html: htmlFlag('with --quality: also write the report as an HTML page with charts'),
    athena: { kind: 'switch', description: 'ask Athena instead of the local lake (AWS credentials)' },
    workgroup: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a workgroup name')),
      unit: 'name',
      description: 'with --athena: the workgroup (stack output AthenaWorkGroup)',
    },
    database: {
      kind: 'value',
      schema: v.pipe(v.string(), v.regex(/^[a-z0-9_]+$/, 'a Glue database name')),
      unit: 'name',
      description: 'with --athena: the database (stack output GlueDatabase)',
      default: glueDatabaseName(DEFAULT_STACK_NAME),
    },
  },
  examples: [
    'npm run query -- --completeness --customer acme --since 2026-11-01',
    'npm run query -- "select event, count(*) from events_curated group by 1 order by 2 desc"',
    'npm run query -- --top-events --athena --workgroup segmentlakedestination_lake --csv',
    'npm run query -- --quality --customer acme --since 2026-11-01 --html quality.html',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(QUERY, async ({ values, positionals }) => {
  const asked = QUESTION_FLAGS.filter((q) => values[q]);
  const modes = asked.length + (values.quality ? 1 : 0) + (positionals.length > 0 ? 1 : 0);
  if (modes === 0)
    throw new UsageError(
      'which question? SQL, --completeness, --quarantine-reasons, --top-events or --quality',
    );
  if (modes > 1) throw new UsageError('one question at a time');
  if (values.json && values.csv) throw new UsageError('--json or --csv, not both');
  if (values.quality) return quality(values);
  if (values.html) throw new UsageError('--html goes with --quality');
  const filter = { customer: values.customer, since: values.since };
  let result: QueryResult;
  if (values.athena) {
    if (!values.workgroup) throw new UsageError('--athena needs --workgroup <AthenaWorkGroup>');
    if (positionals.length > 0)
      throw new UsageError('--athena asks the canned questions; run SQL in the Athena console');
    const database = values.database;
    const sql = QUESTIONS[asked[0]!]((name) => `"${database}"."${name}"`, filter);
    // Athena refuses a read of the landing events without its customers named (an injected key).
    if (athenaRuleViolations(sql).some((v) => v.startsWith('injectedProjection')))
      throw new UsageError(
        `--${asked[0]} on Athena needs --customer: the landing tables are read one customer at a time`,
      );
    process.stderr.write(`query: asking Athena (workgroup ${values.workgroup}, database ${database})…\n`);
    result = await athenaQuery(sql, {
      athena: new AthenaClient({}),
      workgroup: values.workgroup,
      database,
    });
  } else {
    const lake = join(readLocalConfig(process.env).dataDir, 'lake');
    if (!existsSync(lake)) throw new Error(`no lake at ${lake}: is DATA_DIR right?`);
    const local = await openLocalLake(lake);
    try {
      result = await local
        .query(positionals.length > 0 ? positionals.join(' ') : QUESTIONS[asked[0]!]((name) => name, filter))
        .catch((error: Error) => {
          // A mistake in the SQL is the user's, said in one line: DuckDB's message names it.
          throw error instanceof QueryRefused
            ? new UsageError(error.message)
            : new Error(error.message.split('\n')[0]);
        });
    } finally {
      for (const damage of local.damaged)
        process.stderr.write(`query: set aside a damaged landing object: ${describeDamage(damage)}\n`);
      local.close();
    }
    // Completeness counts a damaged object's lost lines as `missing`: say where they went, by customer.
    if (values.completeness) {
      const lost = lostByCustomer(damageLog(lake));
      if (lost.length > 0)
        process.stderr.write(
          `query: lines lost in damaged landing objects (kept in ${join(lake, DAMAGED_AREA)}; docs/operations.md, "A damaged landing object"): ${lost
            .map(([customer, lines]) => `${customer} ${lines}`)
            .join(', ')}\n`,
        );
    }
  }
  process.stdout.write(
    `${values.json ? JSON.stringify(result.rows) : values.csv ? resultCsv(result) : resultTable(result)}\n`,
  );
});

async function quality(values: CommandValues<typeof QUERY.flags>): Promise<void> {
  if (!values.customer) throw new UsageError('--customer <id> is required');
  const lake = join(readLocalConfig(process.env).dataDir, 'lake');
  if (!existsSync(lake)) throw new Error(`no lake at ${lake}: is DATA_DIR right?`);
  const since = values.since ?? '0000-00-00';
  const mine = (r: Record<string, unknown>) => r.customer_id === values.customer && receivedDt(r) >= since;
  const events = readLake(lake, 'events')
    .map((l) => l.record)
    .filter(mine);
  const quarantine = readLake(lake, 'quarantine')
    .map((l) => l.record)
    .filter(mine);
  const report = qualityReport(
    events as Parameters<typeof qualityReport>[0],
    quarantine as unknown as Parameters<typeof qualityReport>[1],
  );
  if (values.html) {
    // reports/ (git-ignored) may not exist yet on a fresh clone.
    mkdirSync(dirname(resolve(values.html)), { recursive: true });
    writeFileSync(values.html, await qualityHtml(values.customer, since, report));
    process.stderr.write(`wrote ${values.html}\n`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const table = (title: string, rows: string[][]) =>
    rows.length === 0
      ? [`${title}: none`]
      : [
          `${title}:`,
          ...rows.map(
            (r) =>
              `  ${r.map((c, i) => (i === r.length - 1 ? c.padStart(8) : c.padEnd(i === 0 ? 32 : 24))).join(' ')}`,
          ),
        ];
  const lines = [
    `Data quality of ${values.customer}${values.since ? ` since ${values.since}` : ''}: ${report.events} events, ${report.checked} checked against a plan, ${report.violating} landed with violations`,
    '',
    ...table(
      'Violations (event, path, rule, count)',
      report.violations.map((v) => [v.event, v.path, v.rule, String(v.count)]),
    ),
    '',
    ...table(
      'Unplanned events',
      report.unplanned.map((u) => [u.event, String(u.count)]),
    ),
    '',
    ...table(
      'Spellings folded into canonical names',
      report.spellings
        .filter((s) => s.spellings.length > 1)
        .map((s) => [s.event, s.spellings.map((x) => x.name).join(', '), String(s.spellings.length)]),
    ),
    '',
    ...table(
      'Quarantine reasons',
      report.quarantineReasons.map((q) => [q.reason, String(q.count)]),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
