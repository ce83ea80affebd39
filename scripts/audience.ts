import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { FileSegmentWriteKeys } from '../adapters/local/segment-write-keys';
import { type CommandGroup, decimal, runCommandGroup, subcommand, UsageError } from '../cli/command';
import { customerFlag, dayFlag, eventFlag, htmlFlag, jsonFlag } from '../cli/flags';
import { alignedTable } from '../cli/table';
import { AUDIENCE_NAME_PATTERN, SEGMENT_US_HOST } from '../domain/contract/audiences';
import { readLocalConfig } from '../local/config';
import {
  audienceGroups,
  audienceLift,
  buildAudience,
  deleteAudience,
  liftVerdict,
  listDefinitions,
  MissingInput,
  PoorScoring,
  readDefinition,
} from './audience/audiences';
import { liftHtml } from './audience/lift-html';
import { syncAudiences } from './audience/sync';

const name = {
  kind: 'value',
  schema: v.pipe(
    v.string(),
    v.regex(AUDIENCE_NAME_PATTERN, 'an audience name in snake case, such as likely_signups'),
  ),
  unit: 'name',
  description: 'the audience (snake case: it becomes the trait audience_<name>) (required)',
} as const;
const customer = customerFlag('the customer (required)');
const required = <T>(value: T | undefined, flag: string): T => {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
};
const lakeRoot = () => {
  const root = join(readLocalConfig(process.env).dataDir, 'lake');
  if (!existsSync(root)) throw new Error(`no lake at ${root}: is DATA_DIR right?`);
  return root;
};
/** The audience a command names, or exit 1 saying how to find one. */
const existing = (root: string, values: { customer?: string | undefined; name?: string | undefined }) => {
  const found = readDefinition(
    root,
    required(values.customer, '--customer <id>'),
    required(values.name, '--name <name>'),
  );
  if (!found)
    throw new MissingInput(
      `no audience ${values.name} for ${values.customer}: npm run audience -- list shows them`,
    );
  return found;
};
const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

const AUDIENCE: CommandGroup = {
  name: 'npm run audience --',
  summary:
    'Audiences from predictions: the top users of a scoring, each in target or holdout, and the incremental lift of acting on them. docs/audiences.md.',
  // Something to build on is missing (no scores, no such audience): exit 1, naming the command to run.
  isInputError: () => false,
  commands: {
    create: subcommand(
      {
        summary: 'an audience from the latest scores of an event: the top --top % of percentiles',
        flags: {
          customer,
          event: eventFlag('the predicted event, in any spelling (required)'),
          name,
          top: {
            kind: 'value',
            schema: v.pipe(decimal(0, 100), v.minValue(0.01, 'a percentage above 0, at most 100')),
            unit: 'percent',
            description: 'the share of users by percentile, in (0, 100] (required)',
          },
          holdout: {
            kind: 'value',
            schema: decimal(0, 50),
            unit: 'percent',
            description: 'the share held out to measure the effect, in [0, 50]',
            default: '10',
          },
          force: {
            kind: 'switch',
            description:
              'build it even from a scoring graded Poor (refused otherwise: its scores are near chance)',
          },
          json: jsonFlag('the audience definition as JSON'),
        },
        examples: [
          'npm run audience -- create --customer demo --event signed_up --name likely_signups --top 20',
        ],
      },
      async ({ values }) => {
        const definition = await buildAudience({
          lakeRoot: lakeRoot(),
          customer: required(values.customer, '--customer <id>'),
          name: required(values.name, '--name <name>'),
          event: required(values.event, '--event <name>'),
          top: required(values.top, '--top <percent>'),
          holdout: values.holdout,
          refresh: false,
          now: new Date(),
          force: values.force,
        }).catch((error: unknown) => {
          if (error instanceof PoorScoring)
            throw new MissingInput(`${error.message}; rescore, or pass --force to build it anyway`);
          throw error;
        });
        const [first] = definition.versions;
        say(
          values.json
            ? JSON.stringify(definition)
            : `Audience ${definition.name} of ${definition.customer_id}: ${first!.target} target and ${first!.holdout} holdout users, the top ${definition.top} % of the scoring of ${first!.as_of}.`,
        );
      },
    ),
    refresh: subcommand(
      {
        summary: 'rebuild an audience from the latest scores, recording who entered and who left',
        flags: { customer, name, json: jsonFlag('the audience definition as JSON') },
        examples: ['npm run audience -- refresh --customer demo --name likely_signups'],
      },
      async ({ values }) => {
        const customer = required(values.customer, '--customer <id>');
        const name = required(values.name, '--name <name>');
        let definition: Awaited<ReturnType<typeof buildAudience>>;
        try {
          definition = await buildAudience({
            lakeRoot: lakeRoot(),
            customer,
            name,
            refresh: true,
            now: new Date(),
          });
        } catch (error) {
          if (!(error instanceof PoorScoring)) throw error;
          // The last version stays the audience (and what sync sends): said, not failed.
          const kept = readDefinition(lakeRoot(), customer, name)!;
          const last = kept.versions.at(-1)!;
          return say(
            values.json
              ? JSON.stringify({ ...kept, kept: { version: last.version, reason: error.message } })
              : `Audience ${name} kept at version ${last.version} (scores of ${last.as_of}): ${error.message}.`,
          );
        }
        const last = definition.versions.at(-1)!;
        say(
          values.json
            ? JSON.stringify(definition)
            : `Audience ${definition.name}, version ${last.version} (scores of ${last.as_of}): ${last.entered} entered, ${last.left} left; ${last.target} target, ${last.holdout} holdout.`,
        );
      },
    ),
    list: subcommand(
      {
        summary: 'the audiences, with their latest version',
        flags: { customer: customerFlag("only this customer's audiences"), json: jsonFlag('a JSON array') },
        examples: ['npm run audience -- list --customer demo'],
      },
      async ({ values }) => {
        const all = listDefinitions(lakeRoot(), values.customer);
        if (values.json) return say(JSON.stringify(all));
        if (all.length === 0) return say('No audiences.');
        say(
          alignedTable(
            [
              [
                'CUSTOMER',
                'AUDIENCE',
                'EVENT',
                'TOP',
                'HOLDOUT',
                'VERSION',
                'SCORES OF',
                'TARGET',
                'HOLDOUT USERS',
              ],
              ...all.map((d) => {
                const last = d.versions.at(-1)!;
                return [
                  d.customer_id,
                  d.name,
                  d.event,
                  `${d.top} %`,
                  `${d.holdout} %`,
                  String(last.version),
                  last.as_of,
                  String(last.target),
                  String(last.holdout),
                ];
              }),
            ],
            { right: [3, 4, 5, 7, 8] },
          ),
        );
      },
    ),
    show: subcommand(
      {
        summary: "an audience's groups: sizes and percentiles, and its versions",
        flags: { customer, name, json: jsonFlag('the definition and groups as JSON') },
        examples: ['npm run audience -- show --customer demo --name likely_signups'],
      },
      async ({ values }) => {
        const root = lakeRoot();
        const definition = existing(root, values);
        const groups = await audienceGroups(root, definition);
        if (values.json) return say(JSON.stringify({ ...definition, groups }));
        say(
          [
            `Audience ${definition.name} of ${definition.customer_id}: "${definition.event}", top ${definition.top} %, holdout ${definition.holdout} %`,
            '',
            alignedTable(
              [
                ['GROUP', 'USERS', 'LOWEST PERCENTILE', 'MEDIAN', 'HIGHEST'],
                ...groups.map((g) => [
                  g.group,
                  String(g.users),
                  g.low.toFixed(3),
                  g.median.toFixed(3),
                  g.high.toFixed(3),
                ]),
              ],
              { right: [1, 2, 3, 4] },
            ),
            '',
            alignedTable(
              [
                ['VERSION', 'SCORES OF', 'CREATED', 'TARGET', 'HOLDOUT', 'ENTERED', 'LEFT'],
                ...definition.versions.map((x) => [
                  String(x.version),
                  x.as_of,
                  x.created_at,
                  String(x.target),
                  String(x.holdout),
                  String(x.entered),
                  String(x.left),
                ]),
              ],
              { right: [0, 3, 4, 5, 6] },
            ),
          ].join('\n'),
        );
      },
    ),
    delete: subcommand(
      {
        summary: 'remove an audience: every version of its members and its definition',
        flags: { customer, name },
        examples: ['npm run audience -- delete --customer demo --name likely_signups'],
      },
      ({ values }) => {
        const c = required(values.customer, '--customer <id>');
        const n = required(values.name, '--name <name>');
        deleteAudience(lakeRoot(), c, n);
        say(`Audience ${n} of ${c} deleted.`);
      },
    ),
    sync: subcommand(
      {
        summary: "send each user's prediction and audience traits to Segment (identify calls), changes only",
        flags: {
          customer,
          name: { ...name, description: 'only this audience (default: every audience of the customer)' },
          'segment-host': {
            kind: 'value',
            schema: v.pipe(
              v.string(),
              v.regex(
                /^(https:\/\/[^/\s]+|http:\/\/(127\.0\.0\.1|localhost)(:\d+)?)\/?$/,
                'an https URL (http only on localhost)',
              ),
            ),
            unit: 'url',
            description: `Segment's HTTP Tracking API host (EU: https://events.eu1.segmentapis.com)`,
            default: SEGMENT_US_HOST,
          },
          'include-anonymous': {
            kind: 'switch',
            description:
              'also send prediction traits of visitors scored under their anonymous id (off unless the customer opts in)',
          },
          json: jsonFlag('the summary as JSON'),
        },
        examples: [
          'npm run audience -- sync --customer demo',
          'npm run audience -- sync --customer demo --name likely_signups',
        ],
      },
      async ({ values }) => {
        const c = required(values.customer, '--customer <id>');
        const { dataDir } = readLocalConfig(process.env);
        const writeKey = new FileSegmentWriteKeys(dataDir).get(c);
        if (!writeKey)
          throw new MissingInput(
            `no Segment write key for ${c}: set it with npm run tokens -- segment-key set --customer ${c} --write-key <key>`,
          );
        const report = await syncAudiences({
          dataDir,
          customer: c,
          ...(values.name ? { name: values.name } : {}),
          host: values['segment-host'],
          writeKey,
          now: new Date(),
          includeAnonymous: values['include-anonymous'] === true,
          onProgress: (done, total) => process.stderr.write(`audience sync: ${done}/${total} batches\n`),
        });
        if (values.json) say(JSON.stringify(report));
        else {
          say(
            `Synced ${report.audiences.join(', ')} of ${c} to ${values['segment-host']}: ${report.sent} sent, ${report.unchanged} unchanged, ${report.failed} failed (${report.batches} batches).`,
          );
          for (const p of report.predictions)
            say(
              p.poor
                ? `  ${p.event} (scoring ${p.asOf}): graded ${p.poor}, no prediction trait sent.`
                : `  ${p.event} (scoring ${p.asOf}): ${p.scored} scored, ${p.sent} predictions sent (decile changed), ${p.heldOut} in a holdout, ${p.anonymousSkipped} anonymous not sent.`,
            );
        }
        if (report.failed > 0) process.exitCode = 1;
      },
    ),
    lift: subcommand(
      {
        summary: 'the incremental lift: target against holdout on the predicted event, with a 95 % interval',
        flags: {
          customer,
          name,
          since: dayFlag(
            "count conversions from this date, by the events' own time (default: the audience's creation)",
          ),
          version: {
            kind: 'value',
            schema: v.pipe(v.string(), v.regex(/^[1-9]\d{0,5}$/, 'a version number'), v.transform(Number)),
            unit: 'n',
            description: 'only the members this version brought in (default: everyone ever assigned)',
          },
          json: jsonFlag('{ target, holdout, uplift: { absolute, relative, ci95 }, pValue, entered, … }'),
          html: htmlFlag('also write the lift report: both conversion curves over time and the interval'),
        },
        examples: ['npm run audience -- lift --customer demo --name likely_signups --since 2026-11-01'],
      },
      async ({ values }) => {
        const root = lakeRoot();
        const definition = existing(root, values);
        const result = await audienceLift(root, definition, values.since, values.version);
        if (values.html) writeFileSync(values.html, await liftHtml(result));
        if (values.json) return say(JSON.stringify(result));
        const { target, holdout, uplift } = result;
        say(
          [
            `Audience ${result.audience} of ${result.customer}: "${result.event}" since ${result.since}, ${result.firstVersion === undefined ? `everyone assigned in versions 1–${result.version}, each in the group of their first assignment (intent to treat)` : `the members version ${result.firstVersion} brought in`}`,
            `members by first assignment: ${result.entered.map((e) => `v${e.version} ${e.target} target / ${e.holdout} holdout`).join(', ')}`,
            '',
            alignedTable(
              [
                ['GROUP', 'USERS', 'CONVERTED', 'RATE'],
                ['target', String(target.users), String(target.converted), pct(target.rate)],
                ['holdout', String(holdout.users), String(holdout.converted), pct(holdout.rate)],
              ],
              { right: [1, 2, 3] },
            ),
            '',
            `uplift ${(uplift.absolute * 100).toFixed(2)} points (${Number.isNaN(uplift.relative) ? '–' : `${(uplift.relative * 100).toFixed(1)} %`} relative), 95 % interval [${(uplift.ci95[0] * 100).toFixed(2)}, ${(uplift.ci95[1] * 100).toFixed(2)}] points (Newcombe), p = ${result.pValue.toFixed(4)}`,
            liftVerdict(result),
          ].join('\n'),
        );
      },
    ),
  },
};

runCommandGroup(AUDIENCE);
