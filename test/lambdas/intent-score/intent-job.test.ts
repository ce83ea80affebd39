import { gzipSync } from 'node:zlib';
import { AthenaClient } from '@aws-sdk/client-athena';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { s3ObjectStore } from '../../../adapters/aws/s3-objects';
import { AWS_QUOTAS } from '../../../domain/contract/aws-quotas';
import { ATHENA_RULES } from '../../../domain/contract/sql/athena-rules';
import { featureColumns, MAX_FEATURE_VALUE_CHARS } from '../../../domain/contract/sql/intent-sql';
import { seededRandom } from '../../../domain/core/common/seeded-random';
import type { PreparedIntent } from '../../../domain/core/intent/prepare-run';
import { prepareIntent } from '../../../lambdas/intent-prepare/create-intent-prepare-handler';
import {
  checkScoringSize,
  finishIntent,
  MAX_SCORE_SQL_BYTES,
  removeFeatures,
  trainIntent,
} from '../../../lambdas/intent-score/create-intent-score-handler';
import { mockAws } from '../../support/aws-mocks';
import { answerIntentQueries } from '../../support/intent-athena';

describe('the intent job on AWS (mocked Athena and S3)', () => {
  const athena = mockAws(AthenaClient);
  const s3 = mockAws(S3Client);
  beforeEach(() => {
    athena.reset();
    s3.reset();
  });

  it('plans: folds the event, dates the cutoffs, and writes a sampled UNLOAD of the Athena feature SQL per cutoff', async () => {
    answerIntentQueries(athena);

    const plan = await prepareIntent(
      { customer: 'acme', event: 'Sign Up' },
      { athena: new AthenaClient({}), workgroup: 'wg', database: 'lake_db', sleep: async () => {} },
      'lake-bucket',
    );

    expect(plan).toMatchObject({
      customer: 'acme',
      event: 'Signed Up',
      eventKey: 'signedup',
      asOf: '2026-04-01',
      validationCutoff: '2026-03-18',
      trainingCutoff: '2026-02-04',
      shortHistory: false,
    });
    // The run's table of shares (the trees' reasons), by its injected run id.
    expect(plan.sharesRelation).toBe(
      `(SELECT tree, code, feature, share FROM "lake_db"."intent_shares" WHERE run_id = '${plan.runId}')`,
    );
    // The conversion's own key is never a feature.
    expect(plan.columns).toContain('key_productviewed');
    expect(plan.columns).not.toContain('key_signedup');
    expect(plan.columns).toContain('page_pricing');
    expect(plan.columns).toContain('trait_plan_trial');
    // Three months of history hold four cutoffs with a 30-day look-back: a slice each, in time order.
    expect(plan.unloads.map((u) => [u.name, u.cutoff])).toEqual([
      ['training', '2026-02-04'],
      ['stop', '2026-02-18'],
      ['calibration', '2026-03-04'],
      ['report', '2026-03-18'],
    ]);
    // The check reads the date's scores through the table, its partitions pinned.
    expect(plan.scoresRelation).toBe(
      `(SELECT probability FROM "lake_db"."scores" WHERE customer_id = 'acme' AND event_key = 'signedup' AND as_of = DATE '2026-04-01')`,
    );
    // The users to score are not unloaded: Athena scores them where they are, at asOf.
    expect(plan.currentFeaturesSql).toMatch(/^WITH r0 AS/);
    expect(plan.currentFeaturesSql).toContain("TIMESTAMP '2026-04-01 00:00:00'");
    expect(plan.scoresPrefix).toBe('scores/customer_id=acme/event_key=signedup/as_of=2026-04-01/');
    for (const u of plan.unloads) {
      // A training sample drawn in SQL before any feature is computed: bounded, the same users every run.
      expect(u.sql).toMatch(/^UNLOAD \(WITH r0 AS/);
      expect(u.sql).toContain(') d ORDER BY md5(to_utf8(d.person)) LIMIT 50000\n),\ngaps AS');
      expect(u.sql).toContain(
        `TO 's3://lake-bucket/intent/_features/${plan.runId}/${u.name}/' WITH (format = 'PARQUET', compression = 'SNAPPY')`,
      );
      expect(u.sql).toContain('json_extract_scalar(properties');
      expect(u.sql).toContain('FROM "lake_db"."events_curated"');
    }
    await expect(
      prepareIntent(
        { customer: '../x', event: 'a' },
        { athena: new AthenaClient({}), workgroup: 'w', database: 'd' },
        'b',
      ),
    ).rejects.toThrow();
  });

  it('keeps the largest plan within Athena’s query string and Step Functions’ state payload', async () => {
    // Every feature candidate at the longest allowed, made of the characters SQL and JSON both escape,
    // the longest customer id, four cutoffs: the plan every step of the state machine carries.
    const longest = (i: number) => `${i}`.padEnd(MAX_FEATURE_VALUE_CHARS, `'"`);
    const sent = answerIntentQueries(athena, {
      keys: Array.from({ length: 11 }, (_, i) => longest(i)),
      paths: Array.from({ length: 10 }, (_, i) => `/${longest(i)}`.slice(0, MAX_FEATURE_VALUE_CHARS)),
      traits: Array.from({ length: 5 }, (_, i) => [longest(i), longest(i + 10)] as [string, string]),
    });
    const plan = await prepareIntent(
      { customer: 'c'.repeat(64), event: 'Sign Up' },
      { athena: new AthenaClient({}), workgroup: 'wg', database: 'lake_db', sleep: async () => {} },
      'lake-bucket',
    );

    // Longer candidates are passed over where Athena picks them.
    for (const top of [/GROUP BY event_key/, /AS path/, /map_keys/])
      expect(sent.find((q) => top.test(q))).toContain(`) <= ${MAX_FEATURE_VALUE_CHARS}`);
    expect(plan.unloads).toHaveLength(4);
    expect(plan.columns).toHaveLength(
      featureColumns({ eventKeys: Array(10), pagePaths: Array(10), traitValues: Array(5) }).length,
    );
    for (const sql of [...plan.unloads.map((u) => u.sql), plan.currentFeaturesSql])
      expect(Buffer.byteLength(sql)).toBeLessThan(ATHENA_RULES.queryStringBytes.limit / 2);
    // The plan is the state's payload from the first step to the last (the training step adds `step`).
    expect(Buffer.byteLength(JSON.stringify(plan))).toBeLessThan(AWS_QUOTAS.stepFunctionsPayloadBytes / 2);
  });

  it('trains on the slices, writes the report, hands Athena the model as a scoring UNLOAD, and checks the scores', async () => {
    // Features with a planted interaction (x raises the chance of the label where "noise" is high), so
    // the trees are chosen and explain each person through the run's table of shares.
    const rows = (n: number, seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: n }, (_, i) => {
        const x = Math.floor(random() * 10);
        const other = Math.floor(random() * 7);
        const label = random() < 0.03 + (other >= 3 ? x / 12 : 0) ? 1 : 0;
        const person = `p${seed}-${i}`;
        return { person, user_id: person, anonymous_id: null, x, noise: other, label };
      });
    };
    // A short history: two cutoffs, each shared by two slices.
    const sets: Record<string, Record<string, unknown>[]> = {
      'training-stop': rows(1_000, 1),
      'calibration-report': rows(1_000, 2),
    };
    let check: Record<string, unknown>[] = [];
    const runId = '0f5c2a44-8f0e-4f5e-9b1a-3c2d4e5f6a7b';
    const plan: PreparedIntent = {
      runId,
      customer: 'acme',
      event: 'Signed Up',
      eventKey: 'signedup',
      asOf: '2026-04-01',
      trainingCutoff: '2026-03-04',
      validationCutoff: '2026-03-18',
      cutoffs: [
        { cutoff: '2026-03-04', slices: ['training', 'stop'] },
        { cutoff: '2026-03-18', slices: ['calibration', 'report'] },
      ],
      shortHistory: true,
      lookbackDays: 30,
      horizonDays: 14,
      columns: ['x', 'noise'],
      unloads: (['training-stop', 'calibration-report'] as const).map((name) => ({
        name,
        slices: [],
        cutoff: '',
        sql: '',
        prefix: `intent/_features/${runId}/${name}/`,
      })),
      currentFeaturesSql: 'SELECT person, user_id, anonymous_id, x, noise FROM "lake_db"."features"',
      scoresPrefix: 'scores/customer_id=acme/event_key=signedup/as_of=2026-04-01/',
      scoresRelation: '(SELECT probability FROM "lake_db"."scores")',
      sharesRelation: `(SELECT tree, code, feature, share FROM "lake_db"."intent_shares" WHERE run_id = '${runId}')`,
    };
    s3.on(ListObjectsV2Command).callsFake(({ Prefix }: { Prefix: string }) => ({
      Contents: [{ Key: `${Prefix}part-0.gz` }],
    }));
    // As Athena's UNLOAD writes them: Parquet, counts as 64-bit integers.
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
      // No prediction saved yet: this is its first run.
      if (Key.startsWith('intent/predictions/'))
        throw Object.assign(new Error('none'), { name: 'NoSuchKey' });
      // The check's UNLOAD: JSON lines, gzipped.
      if (Key.split('/')[3] === 'check')
        return {
          Body: {
            transformToByteArray: async () =>
              new Uint8Array(gzipSync(check.map((r) => JSON.stringify(r)).join('\n'))),
          },
        };
      const rows = sets[Key.split('/')[3]!]!;
      const column = (name: string) => rows.map((r) => r[name] as never);
      const body = parquetWriteBuffer({
        columnData: [
          { name: 'person', data: column('person'), type: 'STRING' },
          { name: 'user_id', data: column('user_id'), type: 'STRING' },
          { name: 'anonymous_id', data: column('anonymous_id'), type: 'STRING' },
          { name: 'x', data: rows.map((r) => BigInt(r.x as number)), type: 'INT64' },
          { name: 'noise', data: rows.map((r) => BigInt(r.noise as number)), type: 'INT64' },
          { name: 'label', data: column('label'), type: 'INT32' },
        ],
      });
      return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
    });

    const trained = await trainIntent(plan, s3ObjectStore(new S3Client({})), 'lake-bucket');

    expect(trained.validationAuc).toBeGreaterThan(0.7);
    // 80 % of the first cutoff's persons train, the rest stop the trees.
    expect(trained.trainingUsers).toBeGreaterThan(720);
    expect(trained.trainingUsers).toBeLessThan(880);
    expect(trained).toMatchObject({
      runId,
      grade: expect.stringMatching(/^(Fair|Poor)$/),
      scoresPrefix: plan.scoresPrefix,
      reportKey: 'intent/reports/customer_id=acme/event_key=signedup/as_of=2026-04-01/report.json',
    });
    expect(trained.scoreSql).toMatch(
      /^UNLOAD \(WITH f AS \(SELECT person, user_id, anonymous_id, x, noise FROM "lake_db"."features"\), s AS \(SELECT person, user_id, anonymous_id, 1E0 \/ \(1E0 \+ exp\(/,
    );
    expect(trained.scoreSql).toContain(
      "TO 's3://lake-bucket/scores/customer_id=acme/event_key=signedup/as_of=2026-04-01/' WITH (format = 'PARQUET', compression = 'SNAPPY')",
    );
    // The date's partition emptied for the UNLOAD; the report written where AWS and local keep it.
    const removed = s3.commandCalls(DeleteObjectsCommand).flatMap((c) => c.args[0].input.Delete!.Objects!);
    expect(removed.map((o) => o.Key)).toEqual([`${plan.scoresPrefix}part-0.gz`]);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const report = puts.find((p) => p.Key === trained.reportKey);
    expect(report).toBeDefined();
    // Each person's reasons: the trees' through the run's table of shares, written as JSON lines under
    // the run's prefix (removed with its features); the regression's are in the statement itself
    // (test/contract/model-sql.test.ts runs both).
    expect(trained.chosen).toBe('gradient-boosted trees');
    const sharesFile = puts.find((p) => p.Key === `intent/_features/${runId}/shares/shares.json`);
    {
      const lines = String(sharesFile!.Body)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines[0]).toEqual({
        tree: expect.any(Number),
        code: expect.any(Number),
        feature: expect.any(Number),
        share: expect.any(Number),
      });
      expect(trained.scoreSql).toContain(`LEFT JOIN (SELECT * FROM ${plan.sharesRelation} AS shares) l`);
    }
    expect(JSON.parse(String(report!.Body))).toMatchObject({
      chosen: trained.chosen,
      eventKey: 'signedup',
      scoredIn: 'athena',
      training: { users: trained.trainingUsers },
      caveat: expect.stringContaining('short history'),
    });
    // The check: the scores' spread in the report slice's bins, UNLOADed beside the features.
    expect(trained.checkSql).toMatch(/^UNLOAD \(SELECT bin, count\(\*\) AS users, min\(probability\) AS low/);
    // The step's output is Step Functions' state: the rest of it fits beside a statement at the cap.
    expect(
      Buffer.byteLength(JSON.stringify({ ...trained, step: 'finish', scoreSql: '' })) + MAX_SCORE_SQL_BYTES,
    ).toBeLessThanOrEqual(AWS_QUOTAS.stepFunctionsPayloadBytes);
    expect(trained.checkSql).toContain('FROM (SELECT probability FROM "lake_db"."scores")');
    expect(trained.checkSql).toContain(`TO 's3://lake-bucket/intent/_features/${runId}/check/'`);

    // A scoring whose probabilities are all alike is refused: nothing saved, the catch removes it.
    check = [{ bin: 0, users: 5_000, low: 0.99999, high: 0.999999 }];
    await expect(
      finishIntent(
        trained,
        s3ObjectStore(new S3Client({})),
        'lake-bucket',
        new Date('2026-04-01T06:00:00.000Z'),
      ),
    ).rejects.toThrow('the scoring is refused: every probability lies between 0.999990 and 0.999999');
    // A scoring spread as the report slice was passes.
    const { edges, shares } = trained.expectedScores;
    check = shares.map((share, bin) => ({
      bin,
      users: Math.round(share * 10_000),
      low: edges[bin - 1] ?? 0.001,
      high: edges[bin] ?? 0.9,
    }));
    expect(JSON.parse(String(report!.Body)).currentFeaturesSql).toBeUndefined();

    // The last step: the prediction saved for the weekly refresh, the run's features removed.
    s3.resetHistory();
    const finished = await finishIntent(
      trained,
      s3ObjectStore(new S3Client({})),
      'lake-bucket',
      new Date('2026-04-01T06:00:00.000Z'),
    );
    expect(finished.predictionKey).toBe('intent/predictions/customer_id=acme/signedup.json');
    const [saved] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(JSON.parse(String(saved!.Body))).toMatchObject({
      customer_id: 'acme',
      event_key: 'signedup',
      rescore_days: 7,
      last_run_at: '2026-04-01T06:00:00.000Z',
      last_as_of: '2026-04-01',
    });
    expect(
      s3
        .commandCalls(DeleteObjectsCommand)
        .flatMap((c) => c.args[0].input.Delete!.Objects!.map((o) => o.Key)),
    ).toEqual([`intent/_features/${runId}/part-0.gz`]);

    // A failed run's catch: features and partial scores removed; nothing outside them ever.
    s3.resetHistory();
    expect(
      await removeFeatures(
        { runId, scoresPrefix: plan.scoresPrefix },
        s3ObjectStore(new S3Client({})),
        'lake-bucket',
      ),
    ).toEqual({
      removed: 2,
    });
    await expect(
      removeFeatures({ runId: '../scores' }, s3ObjectStore(new S3Client({})), 'lake-bucket'),
    ).rejects.toThrow('not a run id');
    await expect(
      removeFeatures({ runId, scoresPrefix: 'scores/' }, s3ObjectStore(new S3Client({})), 'lake-bucket'),
    ).rejects.toThrow('not a scores partition');
  });

  it('refuses a scoring statement over its cap as the state carries it, JSON-escaped, and not one at it', () => {
    // `""` is two bytes of quotes for the string, and each `"` inside takes two.
    const at = 'x'.repeat(MAX_SCORE_SQL_BYTES - 2);
    expect(() => checkScoringSize(at, 'trees')).not.toThrow();
    expect(() => checkScoringSize(`${at}x`, 'trees')).toThrow(
      `the scoring statement of trees is ${MAX_SCORE_SQL_BYTES + 1} bytes in the state, over ${MAX_SCORE_SQL_BYTES}`,
    );
    expect(() => checkScoringSize(`${at.slice(1)}"`, 'trees')).toThrow('over');
  });
});
