import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { qualityReport } from '../lambdas/core/quality/quality-report';
import { readLocalConfig } from '../local/config';
import { readLake } from '../local/read-lake';
import { type CommandSpec, type Flag, runCommand, UsageError } from './cli/command';
import { qualityHtml } from './query/quality-html';

const QUERY = {
  name: 'npm run query --',
  label: 'query',
  summary: `Questions about the local lake ($DATA_DIR/lake). Read-only: it never changes the lake.
--quality is the data-quality report of one customer: tracking-plan violations by event and rule,
unplanned events, the spellings folded into each canonical name, and quarantine reasons
(docs/data-quality.md). On AWS the same questions are the Athena views data_quality and plan_violations.`,
  flags: {
    quality: { kind: 'switch', description: 'the data-quality report of one customer' },
    customer: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a customer id')),
      unit: 'id',
      description: 'the customer (required)',
    },
    since: {
      kind: 'value',
      schema: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-11-01')),
      unit: 'YYYY-MM-DD',
      description: 'only what was received on or after this UTC date (default: everything)',
    },
    json: { kind: 'switch', description: 'the report as JSON on stdout' },
    html: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a file name')),
      unit: 'file',
      description: 'also write the report as an HTML page with charts',
    },
  },
  examples: ['npm run query -- --quality --customer acme --since 2026-11-01 --html quality.html'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(QUERY, async ({ values }) => {
  if (!values.quality) throw new UsageError('which question? --quality');
  if (!values.customer) throw new UsageError('--customer <id> is required');
  const lake = join(readLocalConfig(process.env).dataDir, 'lake');
  if (!existsSync(lake)) throw new Error(`no lake at ${lake}: is DATA_DIR right?`);
  const since = values.since ?? '0000-00-00';
  const mine = (r: Record<string, unknown>) =>
    r.customer_id === values.customer && String(r.received_at).slice(0, 10) >= since;
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
});
