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
import { seededRandom } from '../../../domain/core/common/seeded-random';
import type { PreparedIntent } from '../../../domain/core/intent/prepare-run';
import { prepareIntent } from '../../../lambdas/intent-prepare/create-intent-prepare-handler';
import {
  finishIntent,
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

  it('plans: folds the event, dates the cutoffs, and writes two sampled UNLOADs of the Athena feature SQL', async () => {
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
      trainingCutoff: '2026-03-04',
    });
    // The conversion's own key is never a feature.
    expect(plan.columns).toContain('key_productviewed');
    expect(plan.columns).not.toContain('key_signedup');
    expect(plan.columns).toContain('page_pricing');
    expect(plan.columns).toContain('trait_plan_trial');
    expect(plan.unloads.map((u) => [u.name, u.cutoff])).toEqual([
      ['training', '2026-03-04'],
      ['validation', '2026-03-18'],
    ]);
    // The users to score are not unloaded: Athena scores them where they are, at asOf.
    expect(plan.currentFeaturesSql).toMatch(/^WITH r AS/);
    expect(plan.currentFeaturesSql).toContain("TIMESTAMP '2026-04-01 00:00:00'");
    expect(plan.scoresPrefix).toBe('scores/customer_id=acme/event_key=signedup/as_of=2026-04-01/');
    for (const u of plan.unloads) {
      // A training sample drawn in SQL: bounded, the same users every run.
      expect(u.sql).toMatch(/^UNLOAD \(SELECT \* FROM \(WITH r AS/);
      expect(u.sql).toContain(') f ORDER BY md5(to_utf8(f.person)) LIMIT 50000) TO');
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

  it('trains on the two samples, writes the report, and hands Athena the model as a scoring UNLOAD', async () => {
    // Features with a planted effect: x raises the chance of the label.
    const rows = (n: number, seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: n }, (_, i) => {
        const x = Math.floor(random() * 10);
        const label = random() < 0.02 + x / 15 ? 1 : 0;
        const person = `p${seed}-${i}`;
        return { person, user_id: person, anonymous_id: null, x, noise: Math.floor(random() * 7), label };
      });
    };
    const sets: Record<string, Record<string, unknown>[]> = {
      training: rows(400, 1),
      validation: rows(400, 2),
    };
    const runId = '0f5c2a44-8f0e-4f5e-9b1a-3c2d4e5f6a7b';
    const plan: PreparedIntent = {
      runId,
      customer: 'acme',
      event: 'Signed Up',
      eventKey: 'signedup',
      asOf: '2026-04-01',
      trainingCutoff: '2026-03-04',
      validationCutoff: '2026-03-18',
      lookbackDays: 30,
      horizonDays: 14,
      columns: ['x', 'noise'],
      unloads: (['training', 'validation'] as const).map((name) => ({
        name,
        cutoff: '',
        sql: '',
        prefix: `intent/_features/${runId}/${name}/`,
      })),
      currentFeaturesSql: 'SELECT person, user_id, anonymous_id, x, noise FROM "lake_db"."features"',
      scoresPrefix: 'scores/customer_id=acme/event_key=signedup/as_of=2026-04-01/',
    };
    s3.on(ListObjectsV2Command).callsFake(({ Prefix }: { Prefix: string }) => ({
      Contents: [{ Key: `${Prefix}part-0.gz` }],
    }));
    // As Athena's UNLOAD writes them: Parquet, counts as 64-bit integers.
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
      // No prediction saved yet: this is its first run.
      if (Key.startsWith('intent/predictions/'))
        throw Object.assign(new Error('none'), { name: 'NoSuchKey' });
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
    expect(trained).toMatchObject({
      runId,
      trainingUsers: 400,
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
    const [report] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(report!.Key).toBe(trained.reportKey);
    expect(JSON.parse(String(report!.Body))).toMatchObject({
      chosen: trained.chosen,
      eventKey: 'signedup',
      scoredIn: 'athena',
      training: { users: 400 },
    });
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
});
