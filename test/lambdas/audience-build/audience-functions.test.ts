import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parquetWriteBuffer } from 'hyparquet-writer';
import * as v from 'valibot';
import { s3ObjectStore } from '../../../adapters/aws/s3-objects';
import { secretsManagerStore } from '../../../adapters/aws/secrets';
import { AudienceDefinitionSchema } from '../../../domain/contract/audiences';
import { INTENT_REPORTS_PREFIX, scoresPartitionPath } from '../../../domain/contract/curated-table';
import { runAudiences } from '../../../lambdas/audience-build/create-audience-build-handler';
import {
  sendShard,
  WRITE_KEY_CACHE_SECONDS,
} from '../../../lambdas/audience-send/create-audience-send-handler';
import { answerAudienceQueries, s3Objects } from '../../support/audience-aws';
import { mockAws } from '../../support/aws-mocks';

const NOW = new Date('2026-03-09T06:00:00.000Z');

describe('the audience functions on AWS (mocked Athena, S3 and Secrets Manager)', () => {
  const athena = mockAws(AthenaClient);
  const s3 = mockAws(S3Client);
  const secrets = mockAws(SecretsManagerClient);
  const deps = () => ({
    athena: { athena: new AthenaClient({}), workgroup: 'wg', database: 'lake_db', sleep: async () => {} },
    objects: s3ObjectStore(new S3Client({})),
    secrets: secretsManagerStore(new SecretsManagerClient({}), 0),
    bucket: 'lake-bucket',
    writeKeySecretPrefix: 'Dest/segment-write-key/',
    now: () => NOW,
    runId: () => 'run-1',
  });
  beforeEach(() => {
    athena.reset();
    s3.reset();
    secrets.reset();
    secrets.on(DescribeSecretCommand).resolves({ Name: 'Dest/segment-write-key/acme' });
  });

  const create = {
    customer: 'acme',
    create: { name: 'likely_signups', event: 'Sign Up', top: 20, holdout: 10 },
  };

  it('creates an audience in Athena: members UNLOADed, sizes counted, definition and lift written, changed users shard-UNLOADed', async () => {
    const sent = answerAudienceQueries(athena);
    const objects = s3Objects(s3);

    const run = await runAudiences(create, deps());

    const definition = v.parse(
      AudienceDefinitionSchema,
      JSON.parse(objects.get('audiences/customer_id=acme/audience=likely_signups/audience.json')!.toString()),
    );
    expect(definition).toMatchObject({
      name: 'likely_signups',
      event: 'Sign Up',
      event_key: 'signedup',
      top: 20,
      holdout: 10,
      versions: [{ version: 1, as_of: '2026-03-08', target: 900, holdout: 100, entered: 1000, left: 0 }],
    });
    const members = sent.find((s) => s.startsWith('UNLOAD (WITH s AS (SELECT person, percentile'))!;
    expect(members).toContain(
      "TO 's3://lake-bucket/audiences/customer_id=acme/audience=likely_signups/version=1/'",
    );
    expect(members).toContain(
      "from_base(substr(to_hex(sha256(to_utf8('likely_signups' || chr(10) || s.person)))",
    );
    // The lift, from the conversion counts: 30 % against 10 %.
    const lift = JSON.parse(objects.get(run.audiences[0]!.liftKey)!.toString());
    expect(lift.target).toMatchObject({ users: 900, converted: 270, rate: 0.3 });
    expect(lift.holdout).toMatchObject({ users: 100, converted: 10, rate: 0.1 });
    expect(lift.uplift.ci95[0]).toBeGreaterThan(0);
    // The sync: every member (no state yet), in shards, under the run's prefix; the state is only carried.
    const sync = sent.at(-1)!;
    expect(sync).toContain("TO 's3://lake-bucket/audience-sync/runs/acme/run-1/'");
    expect(sync).toContain("partitioned_by = ARRAY['shard']");
    expect(sync).toContain('% 64 AS integer) AS shard');
    expect(run).toMatchObject({
      customer: 'acme',
      prefix: 'audience-sync/runs/acme/run-1/',
      stateKey: 'audience-sync/state/acme.json',
      timestamp: NOW.toISOString(),
    });
    expect(JSON.parse(run.state)).toEqual({
      version: 1,
      synced_at: NOW.toISOString(),
      audiences: { likely_signups: { version: 1, as_of: '2026-03-08' } },
      // The event's one current prediction per person: the scoring sent, and the holdouts then.
      predictions: {
        signedup: { as_of: '2026-03-08', holdouts: [{ name: 'likely_signups', version: 1 }] },
      },
    });
    expect(sync).toContain(`AS grp`);
    expect(sync).toMatch(/'prediction' AS grp/);
    expect(objects.has(run.stateKey)).toBe(false);
  });

  it('builds no new version without a new scoring, and diffs the sync against what was last sent', async () => {
    const sent = answerAudienceQueries(athena);
    const objects = s3Objects(s3);
    const first = await runAudiences(create, deps());
    objects.set(first.stateKey, Buffer.from(first.state));
    sent.length = 0;

    const again = await runAudiences({ customer: 'acme' }, deps());

    expect(again.audiences).toEqual([expect.objectContaining({ version: 1, built: false })]);
    expect(sent.filter((s) => s.includes('s.person AS user_id'))).toEqual([]);
    // Against version 1 of March 8th, which was sent: the SQL compares with it, and sends again the
    // visitors linked to a user since that sync (less a day of curated lag).
    expect(sent.at(-1)).toMatch(/prev AS \(SELECT user_id, "group" AS grp FROM .* AND version = 1\)/);
    expect(sent.at(-1)).toContain(
      `l.linked_at >= TIMESTAMP '${new Date(NOW.getTime() - 86_400_000).toISOString().slice(0, 19).replace('T', ' ')}'`,
    );
    await expect(runAudiences(create, deps())).rejects.toThrow(/likely_signups of acme exists/);
  });

  it('reads a sync state the last release wrote (no predictions): sends every scored person’s prediction once', async () => {
    const sent = answerAudienceQueries(athena);
    const objects = s3Objects(s3);
    const first = await runAudiences(create, deps());
    // What the last release recorded: the audiences' versions and the sync time, no `predictions`.
    const { predictions: _, ...lastRelease } = JSON.parse(first.state) as Record<string, unknown>;
    objects.set(first.stateKey, Buffer.from(JSON.stringify(lastRelease)));
    sent.length = 0;

    const again = await runAudiences({ customer: 'acme' }, deps());

    // The membership part diffs against version 1 as before; the prediction part has nothing to diff
    // against, so its previous scoring is empty and every scored person is sent.
    const sync = sent.at(-1)!;
    expect(sync).toMatch(/prev AS \(SELECT user_id, "group" AS grp FROM .* AND version = 1\)/);
    expect(sync).toContain("as_of = DATE '2026-03-08' AND false)");
    expect(JSON.parse(again.state)).toMatchObject({
      predictions: { signedup: { as_of: '2026-03-08' } },
    });
  });

  it('builds nothing from a scoring graded Poor: creating is refused unless forced, a refresh keeps the last version', async () => {
    let sent = answerAudienceQueries(athena);
    const objects = s3Objects(s3);
    const graded = (asOf: string, grade: string) =>
      objects.set(
        `${INTENT_REPORTS_PREFIX}${scoresPartitionPath('acme', 'signedup', asOf)}report.json`,
        Buffer.from(JSON.stringify({ quality: { grade, recommended: grade !== 'Poor' } })),
      );
    graded('2026-03-08', 'Poor');

    await expect(runAudiences(create, deps())).rejects.toThrow(
      /the scoring of 2026-03-08 is graded Poor: .*"force": true/,
    );
    expect(sent.filter((q) => q.startsWith('UNLOAD'))).toEqual([]);
    expect([...objects.keys()].filter((k) => k.startsWith('audiences/'))).toEqual([]);

    const forced = await runAudiences({ ...create, create: { ...create.create, force: true } }, deps());
    expect(forced.audiences).toEqual([
      expect.objectContaining({ version: 1, asOf: '2026-03-08', built: true }),
    ]);

    // The week's rescoring is Poor: the refresh keeps version 1 and says which scoring it passed over.
    sent = answerAudienceQueries(athena, { d: '2026-03-15' });
    graded('2026-03-15', 'Poor');
    const kept = await runAudiences({ customer: 'acme' }, deps());
    expect(kept.audiences).toEqual([
      expect.objectContaining({
        version: 1,
        asOf: '2026-03-08',
        built: false,
        kept: { asOf: '2026-03-15', grade: 'Poor' },
      }),
    ]);
    expect(sent.filter((q) => q.includes('s.person AS user_id'))).toEqual([]);

    // A Fair one is built.
    answerAudienceQueries(athena, { d: '2026-03-22' });
    graded('2026-03-22', 'Fair');
    const rebuilt = await runAudiences({ customer: 'acme' }, deps());
    expect(rebuilt.audiences).toEqual([
      expect.objectContaining({ version: 2, asOf: '2026-03-22', built: true }),
    ]);
    expect(rebuilt.audiences[0]!.kept).toBeUndefined();
  });

  it('refuses with the step to take first: no write key, no scores, no audience, bad shares', async () => {
    answerAudienceQueries(athena, { d: null });
    s3Objects(s3);
    await expect(runAudiences(create, deps())).rejects.toThrow(
      'no scores of "Sign Up" for acme: run the intent state machine with {"customer": "acme", "event": "Sign Up"} first',
    );
    await expect(runAudiences({ customer: 'acme' }, deps())).rejects.toThrow(/no audience for acme/);
    secrets
      .on(DescribeSecretCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    await expect(runAudiences(create, deps())).rejects.toThrow(
      'no Segment write key for acme: aws secretsmanager create-secret --name Dest/segment-write-key/acme --secret-string <write key>',
    );
    for (const top of [0, 101])
      await expect(runAudiences({ ...create, create: { ...create.create, top } }, deps())).rejects.toThrow();
    await expect(
      runAudiences({ ...create, create: { ...create.create, holdout: 51 } }, deps()),
    ).rejects.toThrow();
  });

  describe('sending a shard', () => {
    let server: Server;
    let host: string;
    const received: { authorization: string | undefined; batch: { userId: string; traits: object }[] }[] = [];
    let refuseFirst = 0;
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          if (refuseFirst > 0) {
            refuseFirst--;
            res.writeHead(429, { 'retry-after': '0' }).end();
            return;
          }
          received.push({ authorization: req.headers.authorization, ...JSON.parse(body) });
          res.writeHead(200).end('{}');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    const shard = () =>
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            // Membership rows as a run before one prediction per person wrote them (with their scoring's
            // values), and two prediction rows: u4's current prediction, and u2's unset (held out now).
            { name: 'user_id', data: ['u1', 'u1', 'u2', 'u3', 'u4', 'u2'], type: 'STRING' },
            {
              name: 'audience',
              data: ['likely_signups', 'big_spenders', 'likely_signups', 'likely_signups', null, null],
              type: 'STRING',
            },
            {
              name: 'event',
              data: ['Signed Up', 'Order Completed', 'Signed Up', 'Signed Up', 'Signed Up', 'Signed Up'],
              type: 'STRING',
            },
            {
              name: 'grp',
              data: ['target', 'holdout', 'left', 'holdout', 'prediction', 'prediction'],
              type: 'STRING',
            },
            { name: 'percentile', data: [0.99, 0.95, null, 0.91, 0.8, null], type: 'DOUBLE' },
            { name: 'probability', data: [0.5, 0.2, null, 0.3, 0.1, null], type: 'DOUBLE' },
            // u3 is a visitor scored under their anonymous id, who has signed up since as user-3.
            { name: 'anonymous', data: [false, false, false, true, false, false], type: 'BOOLEAN' },
            { name: 'linked_user_id', data: [null, null, null, 'user-3', null, null], type: 'STRING' },
          ],
        }),
      );

    it('sends one identify per user with the traits of every audience, a holdout member never true', async () => {
      const objects = s3Objects(s3);
      objects.set('audience-sync/runs/acme/run-1/shard=3/part-0.parquet', shard());
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'wk_live_1234\n' });
      received.length = 0;
      refuseFirst = 1;

      const result = await sendShard(
        {
          customer: 'acme',
          bucket: 'lake-bucket',
          key: 'audience-sync/runs/acme/run-1/shard=3/part-0.parquet',
          timestamp: NOW.toISOString(),
        },
        {
          objects: s3ObjectStore(new S3Client({})),
          secrets: secretsManagerStore(new SecretsManagerClient({}), WRITE_KEY_CACHE_SECONDS),
          writeKeySecretPrefix: 'Dest/segment-write-key/',
          host,
          sleep: async () => {},
        },
      );

      expect(result).toMatchObject({ users: 4, sent: 4, batches: 1 });
      expect(received).toHaveLength(1);
      expect(received[0]!.authorization).toBe(`Basic ${Buffer.from('wk_live_1234:').toString('base64')}`);
      const byUser = Object.fromEntries(received[0]!.batch.map((c) => [c.userId, c.traits]));
      // The visitor, with both ids: their traits reach the user they became.
      expect(received[0]!.batch.find((c) => c.userId === 'user-3')).toMatchObject({ anonymousId: 'u3' });
      expect(byUser).toEqual({
        u1: {
          predicted_signed_up_percentile: 0.99,
          predicted_signed_up_probability: 0.5,
          audience_likely_signups: true,
          predicted_order_completed_percentile: 0.95,
          predicted_order_completed_probability: 0.2,
          audience_big_spenders: false,
        },
        u2: {
          audience_likely_signups: false,
          predicted_signed_up_percentile: null,
          predicted_signed_up_probability: null,
        },
        u4: { predicted_signed_up_percentile: 0.8, predicted_signed_up_probability: 0.1 },
        'user-3': {
          predicted_signed_up_percentile: 0.91,
          predicted_signed_up_probability: 0.3,
          audience_likely_signups: false,
        },
      });
    });

    it('asks Secrets Manager once per customer while the key is fresh, and again after five minutes (a rotated key)', async () => {
      const objects = s3Objects(s3);
      objects.set('k.parquet', shard());
      secrets.reset();
      secrets
        .on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: 'wk_old' })
        .resolves({ SecretString: 'wk_new' });
      received.length = 0;
      refuseFirst = 0;
      // Only Date is faked: Powertools' cache reads the time from it; the HTTP server needs real timers.
      jest.useFakeTimers({
        now: Date.parse('2030-01-01T00:00:00Z'),
        doNotFake: [
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      });
      const deps = {
        objects: s3ObjectStore(new S3Client({})),
        secrets: secretsManagerStore(new SecretsManagerClient({}), WRITE_KEY_CACHE_SECONDS),
        writeKeySecretPrefix: 'Rotated/segment-write-key/',
        host,
        sleep: async () => {},
      };
      const item = {
        customer: 'rotated',
        bucket: 'lake-bucket',
        key: 'k.parquet',
        timestamp: NOW.toISOString(),
      };
      try {
        await sendShard(item, deps);
        jest.setSystemTime(Date.now() + WRITE_KEY_CACHE_SECONDS * 1000 - 1_000);
        await sendShard(item, deps);
        jest.setSystemTime(Date.now() + 2_000);
        await sendShard(item, deps);
      } finally {
        jest.useRealTimers();
      }

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      expect(received.map((r) => r.authorization)).toEqual(
        ['wk_old', 'wk_old', 'wk_new'].map((k) => `Basic ${Buffer.from(`${k}:`).toString('base64')}`),
      );
    });

    it('fails the item when Segment keeps refusing, so the run records nothing and the next resends', async () => {
      const objects = s3Objects(s3);
      objects.set('k.parquet', shard());
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'wk_live_1234' });
      refuseFirst = 100;
      await expect(
        sendShard(
          { customer: 'acme', bucket: 'lake-bucket', key: 'k.parquet', timestamp: NOW.toISOString() },
          {
            objects: s3ObjectStore(new S3Client({})),
            secrets: secretsManagerStore(new SecretsManagerClient({}), WRITE_KEY_CACHE_SECONDS),
            writeKeySecretPrefix: 'Dest/segment-write-key/',
            host,
            sleep: async () => {},
          },
        ),
      ).rejects.toThrow('4 of 4 users of k.parquet not accepted by Segment');
      refuseFirst = 0;
    });
  });
});
