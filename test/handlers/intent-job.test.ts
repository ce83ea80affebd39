import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { seededRandom } from '../../domain/core/common/seeded-random';
import {
  type PreparedIntent,
  prepareIntent,
} from '../../lambdas/intent-prepare/create-intent-prepare-handler';
import { removeFeatures, scoreIntent } from '../../lambdas/intent-score/create-intent-score-handler';
import { answerIntentQueries } from '../support/intent-athena';

describe('the intent job on AWS (mocked Athena and S3)', () => {
  const athena = mockClient(AthenaClient);
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    athena.reset();
    s3.reset();
  });

  it('plans: folds the event, dates the cutoffs, and writes three UNLOADs of the Athena feature SQL', async () => {
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
      ['current', '2026-04-01'],
    ]);
    for (const u of plan.unloads) {
      expect(u.sql).toMatch(/^UNLOAD \(WITH e AS/);
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

  it('scores: reads the unloaded features, trains, and writes scores and a report where the tables read them', async () => {
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
      current: rows(300, 3),
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
      unloads: ['training', 'validation', 'current'].map((name) => ({
        name: name as 'training',
        cutoff: '',
        sql: '',
        prefix: `intent/_features/${runId}/${name}/`,
      })),
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

    const summary = await scoreIntent(
      plan,
      new S3Client({}),
      'lake-bucket',
      new Date('2026-04-01T06:00:00.000Z'),
    );

    expect(summary.validationAuc).toBeGreaterThan(0.7);
    expect(summary).toMatchObject({
      scored: 300,
      scoresKey: 'scores/customer_id=acme/event_key=signedup/as_of=2026-04-01/scores.parquet',
      reportKey: 'intent/reports/customer_id=acme/event_key=signedup/as_of=2026-04-01/report.json',
    });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const written = puts[0]!.Body as Uint8Array;
    const scores = (await parquetReadObjects({
      file: written.buffer.slice(0, written.byteLength) as ArrayBuffer,
    })) as {
      decile: number;
    }[];
    expect(scores).toHaveLength(300);
    expect(new Set(scores.map((s) => s.decile))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    // The file reads in DuckDB as the local scores table's files do.
    const dir = mkdtempSync(join(tmpdir(), 'scores-'));
    try {
      writeFileSync(join(dir, 'scores.parquet'), written);
      const db = await DuckDBInstance.create(':memory:');
      const duck = await db.connect();
      const [row] = (
        await duck.runAndReadAll(
          `SELECT count(*) AS n, min(decile) AS top, typeof(any_value(probability)) AS t FROM '${dir}/scores.parquet'`,
        )
      ).getRowObjectsJson();
      duck.closeSync();
      db.closeSync();
      expect(row).toEqual({ n: '300', top: 1, t: 'DOUBLE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(Object.keys(scores[0]).sort()).toEqual([
      'anonymous_id',
      'decile',
      'percentile',
      'person',
      'probability',
      'user_id',
    ]);
    expect(JSON.parse(String(puts[1]!.Body))).toMatchObject({ chosen: summary.chosen, eventKey: 'signedup' });
    // Saved for the weekly refresh, and the run's features removed.
    expect(puts[2]!.Key).toBe('intent/predictions/customer_id=acme/signedup.json');
    expect(JSON.parse(String(puts[2]!.Body))).toMatchObject({
      customer_id: 'acme',
      event_key: 'signedup',
      rescore_days: 7,
      last_run_at: '2026-04-01T06:00:00.000Z',
      last_as_of: '2026-04-01',
    });
    const removed = s3.commandCalls(DeleteObjectsCommand).flatMap((c) => c.args[0].input.Delete!.Objects!);
    // (The mocked listing answers one object per prefix asked: here the run's.)
    expect(removed.map((o) => o.Key)).toEqual([`intent/_features/${plan.runId}/part-0.gz`]);
    await expect(removeFeatures({ runId: '../scores' }, new S3Client({}), 'lake-bucket')).rejects.toThrow(
      'not a run id',
    );
  });
});
