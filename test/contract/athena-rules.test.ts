import { spawnSync } from 'node:child_process';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TrinoSQL } from 'dt-sql-parser';
import { s3ObjectStore } from '../../adapters/aws/s3-objects';
import { secretsManagerStore } from '../../adapters/aws/secrets';
import {
  ATHENA_RULES,
  athenaRuleViolations,
  INJECTED_CUSTOMER_TABLES,
} from '../../domain/contract/sql/athena-rules';
import { audienceMembersSql } from '../../domain/contract/sql/audience-sql';
import {
  athenaCreateCuratedTable,
  athenaMoveUndatedRows,
  athenaStagedPartitions,
  athenaVacuum,
} from '../../domain/contract/sql/curated-sql';
import {
  athenaCountErasedCurated,
  athenaCountErasedLanding,
  athenaDeleteErasedCurated,
  athenaDeleteErasedIdentities,
  athenaLinkedIds,
  athenaObjectsToRewrite,
  athenaRewriteCustomer,
  athenaSnapshotRetention,
} from '../../domain/contract/sql/erasure-sql';
import {
  athenaBackfillIdentityFacts,
  athenaCreateIdentityFacts,
  athenaMergeRunIdentities,
  athenaOptimizeIdentityFacts,
  athenaVacuumIdentityFacts,
} from '../../domain/contract/sql/identity-sql';
import { QUESTIONS } from '../../domain/contract/sql/questions-sql';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { trainBoostedTrees } from '../../domain/core/intent/boosted-trees';
import { calibrated, clipped, featureBounds } from '../../domain/core/intent/calibration';
import { trainLogistic } from '../../domain/core/intent/models';
import { expectedScores } from '../../domain/core/intent/score-check';
import { packRun, type RunFiles } from '../../domain/core/lake/compaction-run';
import { MAX_DAYS_PER_MERGE } from '../../domain/core/lake/curated-plan';
import { runAudiences } from '../../lambdas/audience-build/create-audience-build-handler';
import { prepareIntent } from '../../lambdas/intent-prepare/create-intent-prepare-handler';
import {
  checkScoringSize,
  checkUnloadSql,
  MAX_SCORE_SQL_BYTES,
  scoringUnloadSql,
} from '../../lambdas/intent-score/create-intent-score-handler';
import { answerAudienceQueries, s3Objects } from '../support/audience-aws';
import { mockAws } from '../support/aws-mocks';
import { answerIntentQueries } from '../support/intent-athena';
import { ROOT } from '../support/local-destination';
import { synthStack } from '../support/stack';

const trino = new TrinoSQL();

/**
 * Athena engine 3 is Trino: a statement Trino's grammar refuses is refused by Athena. Athena's own
 * statements that are not Trino (Hive-style Iceberg DDL, OPTIMIZE, VACUUM, UNLOAD) are checked for their
 * shape, and their inner SELECT by the grammar.
 */
function syntaxErrors(sql: string): string[] {
  const unload =
    /^UNLOAD \((.*)\) TO '[^']+' WITH \(format = 'PARQUET', compression = 'SNAPPY'(, partitioned_by = ARRAY\['\w+'\])?\)$/s.exec(
      sql,
    );
  if (unload) return syntaxErrors(unload[1]!);
  if (/^OPTIMIZE "\w+"\."\w+" REWRITE DATA USING BIN_PACK(\nWHERE .+)?$/s.test(sql)) {
    const where = /\nWHERE (.+)$/s.exec(sql)?.[1];
    return where ? syntaxErrors(`SELECT 1 FROM t WHERE ${where}`) : [];
  }
  if (/^VACUUM "\w+"\."\w+"$/.test(sql)) return [];
  // Hive-style table properties (Athena's DDL for Iceberg), with quoted keys and values only.
  if (/^ALTER TABLE "\w+"\."\w+" SET TBLPROPERTIES \(('\w+'='\w+'(, )?)+\)$/.test(sql)) return [];
  if (
    /^CREATE TABLE IF NOT EXISTS "\w+"\."\w+" \(.*\)\nPARTITIONED BY \((\w+|(year|month|day|hour)\(\w+\)|bucket\(\d+, \w+\))(, (\w+|(year|month|day|hour)\(\w+\)|bucket\(\d+, \w+\)))*\)\nLOCATION '[^']+'\nTBLPROPERTIES \(.*\)$/s.test(
      sql,
    )
  )
    return [];
  return trino.validate(sql).map((e) => e.message);
}

interface Sent {
  from: string;
  sql: string;
}

describe('every Athena statement the stack, its functions and its scripts send, against Athena’s rules', () => {
  const statements: Sent[] = [];
  const { stack, template } = synthStack();
  const db = stack.catalog.databaseName;
  const views = Object.values(template.findResources('AWS::Glue::Table'))
    .map((t) => t.Properties.TableInput)
    .filter((t) => t.TableType === 'VIRTUAL_VIEW')
    .map((t) => ({
      name: t.Name as string,
      sql: JSON.parse(
        Buffer.from(/\/\* Presto View: (.*) \*\//.exec(t.ViewOriginalText)![1]!, 'base64').toString(),
      ).originalSql as string,
    }));

  beforeAll(async () => {
    // The compaction: its table, a run's partition plan, and the MERGE and OPTIMIZE of every item, through
    // the builders its steps function uses (a run of two customers, one with more event dates than a
    // MERGE names: its first item is the largest a run makes).
    statements.push(
      {
        from: 'compaction: CreateCuratedTable',
        sql: athenaCreateCuratedTable(db, 's3://lake/curated/events/'),
      },
      { from: 'compaction: PlanPartitions', sql: athenaStagedPartitions(db, 'run-1', ['acme', 'globex']) },
      { from: 'compaction: Vacuum', sql: athenaVacuum(db) },
      { from: 'compaction: MoveUndatedRows', sql: athenaMoveUndatedRows(db) },
      {
        from: 'compaction: CreateIdentityFacts',
        sql: athenaCreateIdentityFacts(db, 's3://lake/curated/identity_facts/'),
      },
      { from: 'compaction: BackfillIdentityFacts', sql: athenaBackfillIdentityFacts(db) },
      {
        from: 'compaction: BackfillIdentityFacts (pending runs)',
        sql: athenaBackfillIdentityFacts(db, {
          customers: [{ customerId: 'acme', since: '2026-11-28' }],
          ranges: [{ customerId: 'replay', from: '2021-01-01', to: '2022-05-15' }],
        }),
      },
      {
        from: 'compaction: MergeRunIdentities',
        sql: athenaMergeRunIdentities(
          db,
          'run-1',
          ['acme', 'globex'],
          [{ customerId: 'replay', from: '2021-01-01', to: '2022-05-15' }],
        ),
      },
      { from: 'compaction: OptimizeIdentityFacts', sql: athenaOptimizeIdentityFacts(db) },
      { from: 'compaction: VacuumIdentityFacts', sql: athenaVacuumIdentityFacts(db) },
    );
    const files = new Map<string, string>();
    const dates = Array.from({ length: MAX_DAYS_PER_MERGE + 50 }, (_, d) =>
      new Date(Date.UTC(2022, 0, 1) + d * 86_400_000).toISOString().slice(0, 10),
    );
    const run: RunFiles = {
      put: async (key, body) => {
        files.set(key, body);
      },
      // What the stage step wrote: each customer's manifest, and the run's receipts.
      get: async (key) =>
        files.get(key) ??
        (key.endsWith('/manifest')
          ? 's3://lake/events/customer_id=x/received_dt=2026-11-28/a.gz\n'
          : JSON.stringify({ byCustomer: {}, other: [] })),
      removePrefix: async () => undefined,
      list: async (prefix) => [...files.keys()].filter((key) => key.startsWith(prefix)),
      queryResult: async () =>
        [
          '"customer_id","event_date","row_count","sent_at_dated"',
          ...dates.map((d) => `"acme","${d}","3","false"`),
          '"globex","2026-11-28","1","false"',
          // Rows dated by sentAt: merged by id, in an item of their own.
          '"globex","2026-11-29","1","true"',
        ].join('\n'),
    };
    const noLog = { receive: async () => [], remove: async () => undefined };
    const { itemsKey } = await packRun(
      'run-1',
      db,
      '11111111-1111-4111-8111-111111111111',
      run,
      noLog,
      Date.now(),
    );
    for (const [i, item] of (
      JSON.parse(files.get(itemsKey)!) as { merge: string; optimize: string }[]
    ).entries())
      statements.push(
        { from: `compaction: Merge ${i}`, sql: item.merge },
        { from: `compaction: OptimizeMerged ${i}`, sql: item.optimize },
      );

    // The intent job: the plan function's queries and the UNLOADs the state machine runs.
    const athena = mockAws(AthenaClient);
    const sent = answerIntentQueries(athena);
    const plan = await prepareIntent(
      { customer: 'acme', event: 'Sign Up' },
      { athena: new AthenaClient({}), workgroup: 'wg', database: db, sleep: async () => {} },
      'lake-bucket',
    );
    // The scoring statement, with each kind of model the training step can choose.
    const random = seededRandom(3);
    const rows = Array.from({ length: 2_000 }, () => plan.columns.map(() => Math.floor(random() * 5)));
    const labels = rows.map((r) => (random() < 0.1 + 0.1 * r[0]! ? 1 : 0));
    const largest = trainBoostedTrees(rows, labels);
    expect(largest.settings).toEqual({ trees: 200 });
    statements.push(
      ...sent.map((sql) => ({ from: 'intent: plan', sql })),
      ...plan.unloads.map((u) => ({ from: `intent: UNLOAD ${u.name}`, sql: u.sql })),
      ...[
        calibrated(clipped(trainLogistic(rows, labels), featureBounds(rows)), {
          slope: 0.9,
          intercept: -0.2,
        }),
        calibrated(largest, { slope: 1.1, intercept: 0.1 }),
      ].map((model) => ({
        from: `intent: ScoreInAthena (${model.name}, as a run scores: clipped, calibrated)`,
        sql: scoringUnloadSql(plan, model, 'lake-bucket'),
      })),
      {
        from: 'intent: CheckScores',
        sql: checkUnloadSql(
          plan,
          expectedScores(trainBoostedTrees(rows, labels).predict(rows)),
          'lake-bucket',
        ),
      },
    );

    // The audience function: a create (members, sizes, lift, the first sync) and a refresh's sync
    // against what the first sent.
    const audienceAthena = mockAws(AthenaClient);
    const audienceS3 = mockAws(S3Client);
    const audienceSecrets = mockAws(SecretsManagerClient);
    audienceSecrets.on(DescribeSecretCommand).resolves({});
    const audienceSql = answerAudienceQueries(audienceAthena);
    const objects = s3Objects(audienceS3);
    const audienceDeps = {
      athena: { athena: new AthenaClient({}), workgroup: 'wg', database: db, sleep: async () => {} },
      objects: s3ObjectStore(new S3Client({})),
      secrets: secretsManagerStore(new SecretsManagerClient({}), 0),
      bucket: 'lake-bucket',
      writeKeySecretPrefix: 'x/',
      now: () => new Date('2026-03-09T06:00:00Z'),
    };
    const first = await runAudiences(
      { customer: 'acme', create: { name: 'likely_signups', event: 'Sign Up', top: 20 } },
      audienceDeps,
    );
    objects.set(first.stateKey, Buffer.from(first.state));
    await runAudiences({ customer: 'acme' }, audienceDeps);
    statements.push(...audienceSql.map((sql) => ({ from: 'audiences', sql })));
    // A refresh's members: earlier assignments kept under any of a person's ids.
    statements.push({
      from: 'audiences: a later version’s members',
      sql: audienceMembersSql('athena', (t) => `"${db}"."${t}"`, {
        customer: 'acme',
        eventKey: 'signedup',
        asOf: '2026-03-15',
        name: 'likely_signups',
        top: 20,
        holdout: 10,
        createdAt: '2026-03-15T06:00:00.000Z',
        version: 2,
      }),
    });

    // npm run query -- --athena: every canned question, with a customer (without, see below).
    for (const [name, question] of Object.entries(QUESTIONS))
      statements.push({
        from: `query --${name}`,
        sql: question((t) => `"${db}"."${t}"`, { customer: 'acme', since: '2026-11-01' }),
      });
    // The erase pass: what its steps build for a customer and a pass (the ids are rows of erase_ids).
    const pass = '0123456789abcdef0123456789abcdef';
    statements.push(
      { from: 'erase: LinkIds', sql: athenaLinkedIds(db, 'acme', pass) },
      { from: 'erase: FindObjects', sql: athenaObjectsToRewrite(db, 'acme', pass) },
      { from: 'erase: CountCurated', sql: athenaCountErasedCurated(db, 'acme', pass) },
      { from: 'erase: DeleteCurated', sql: athenaDeleteErasedCurated(db, 'acme', pass) },
      { from: 'erase: RewriteCurated', sql: athenaRewriteCustomer(db, 'acme') },
      {
        from: 'erase: DeleteIdentities',
        sql: athenaDeleteErasedIdentities(db, [
          { customerId: 'acme', passId: pass },
          { customerId: 'globex', passId: pass },
        ]),
      },
      { from: 'erase: VerifyLanding', sql: athenaCountErasedLanding(db, 'acme', pass) },
      { from: 'erase: SnapshotRetention', sql: athenaSnapshotRetention(db) },
    );
    // npm run smoke: the landed-event check (execution parameters for the values).
    statements.push({
      from: 'smoke',
      sql: 'SELECT count(*) FROM events WHERE customer_id = ? AND received_dt IN (?, ?) AND message_id = ?',
    });
  });

  it('parses every statement with a Trino grammar (Athena-only statements by their shape)', () => {
    const broken = statements
      .map((s) => ({ from: s.from, errors: syntaxErrors(s.sql) }))
      .filter((s) => s.errors.length > 0);

    expect(statements.length).toBeGreaterThanOrEqual(18);
    expect(broken).toEqual([]);
  });

  it('names the customer of every read of a table keyed by an injected customer, and stays within the query size', () => {
    const violations = statements
      .map((s) => ({ from: s.from, violations: athenaRuleViolations(s.sql) }))
      .filter((s) => s.violations.length > 0);

    expect(violations).toEqual([]);
    // The largest statement the builders make, against the 262,144-byte limit: a quarter of it, but for
    // the scoring statement — 200 trees (the most boosting grows) with each person's reasons, ~165 KB —
    // which must stay under the training step's own cap (room for the rest of its Step Functions state).
    const scoring = (s: Sent) => s.from.startsWith('intent: ScoreInAthena');
    expect(
      Math.max(...statements.filter((s) => !scoring(s)).map((s) => Buffer.byteLength(s.sql))),
    ).toBeLessThan(ATHENA_RULES.queryStringBytes.limit / 4);
    expect(Math.max(...statements.filter(scoring).map((s) => Buffer.byteLength(s.sql)))).toBeLessThan(
      MAX_SCORE_SQL_BYTES,
    );
    // And as the training step's guard measures it (JSON-escaped, as Step Functions carries it).
    for (const s of statements.filter(scoring)) expect(() => checkScoringSize(s.sql, s.from)).not.toThrow();
  });

  it('bounds every read of the curated table by the intent job by event date, so a run reads a window, not the history', () => {
    const reads = statements
      .filter((s) => s.from.startsWith('intent: plan') || s.from.startsWith('intent: UNLOAD'))
      .flatMap((s) =>
        s.sql
          .split(/events_curated"?/)
          .slice(1)
          .map((after) => ({
            from: s.from,
            sql: s.sql,
            where: /WHERE([\s\S]*?)(\)|$)/.exec(after)?.[1] ?? '',
          })),
      );

    // The plan's candidate queries, each sample and the scoring: every read has both bounds.
    const unloads = statements.filter((s) => s.from.startsWith('intent: UNLOAD')).length;
    expect(unloads).toBeGreaterThanOrEqual(2);
    expect(reads.length).toBeGreaterThanOrEqual(3 + 2 * unloads);
    // But the first and last event dates, the one read of the whole history (one column: prepare-run.ts).
    const dates = (r: { sql: string }) =>
      /^SELECT CAST\(max\(event_date\) AS varchar\) AS d, CAST\(min\(event_date\) AS varchar\) AS first FROM/.test(
        r.sql,
      );
    const unbounded = reads.filter(
      (r) => !dates(r) && !/event_date >= DATE '\d{4}-\d{2}-\d{2}'/.test(r.where),
    );
    expect(unbounded).toEqual([]);
  });

  it('catches a MERGE that selects its partitions only by a row-value comparison (not pushed into the scan)', () => {
    const rowValueOnly = `MERGE INTO "${db}"."events_curated" AS t USING s ON (t.customer_id, t.event_date) IN (('acme', DATE '2026-11-28')) AND t.message_id = s.message_id WHEN NOT MATCHED THEN INSERT (message_id) VALUES (s.message_id)`;

    expect(athenaRuleViolations(rowValueOnly)).toEqual([expect.stringMatching(/^prunablePredicates: /)]);
    const plain = rowValueOnly.replace(
      'ON (t.customer_id',
      "ON t.customer_id IN ('acme') AND t.event_date IN (DATE '2026-11-28') AND (t.customer_id",
    );
    expect(athenaRuleViolations(plain)).toEqual([]);
  });

  it('catches the reads Athena would refuse: no customer, or a customer taken from data', () => {
    expect(
      athenaRuleViolations(`SELECT * FROM "${db}"."events" WHERE received_dt = '2026-11-28'`),
    ).toHaveLength(1);
    expect(
      athenaRuleViolations(`SELECT * FROM "${db}"."events" WHERE customer_id IN (SELECT c FROM t)`),
    ).toHaveLength(1);
    // npm run query -- --athena --completeness without --customer: refused before it is sent.
    expect(
      athenaRuleViolations(QUESTIONS.completeness((t) => `"${db}"."${t}"`, { since: '2026-11-01' })).length,
    ).toBeGreaterThan(0);
    const cli = spawnSync(
      process.execPath,
      ['--require', 'tsx/cjs', 'scripts/query.ts', '--completeness', '--athena', '--workgroup', 'wg'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect([cli.status, cli.stderr.trim()]).toEqual([
      2,
      'query: --completeness on Athena needs --customer: the landing tables are read one customer at a time (see --help)',
    ]);
  });

  it('knows every view of the catalog that reads an injected table (the list the check uses)', () => {
    // A view reads an injected table when its SQL names one (another injected view included).
    const reading = views
      .filter((v) => INJECTED_CUSTOMER_TABLES.some((t) => t !== v.name && v.sql.includes(`"${t}"`)))
      .map((v) => v.name);

    for (const name of reading) expect(INJECTED_CUSTOMER_TABLES).toContain(name);
    for (const view of views) expect(syntaxErrors(view.sql)).toEqual([]);
  });
});
