import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { AUDIENCE_SYNC_SHARDS } from '../../domain/contract/audiences';
import { ATHENA_RULES } from '../../domain/contract/sql/athena-rules';
import {
  audienceChangeSql,
  audienceConversionsSql,
  audienceGroupSql,
  audienceMembersSql,
  audienceSyncSql,
  PREDICTION_GROUP,
  predictionSyncSql,
} from '../../domain/contract/sql/audience-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import { groupOf, topMembers } from '../support/reference-models';

/**
 * The audience SQL is what AWS runs (Athena) and what `npm run audience` runs (DuckDB). Athena cannot run
 * here, so the DuckDB text is held to the reference functions and the Athena text is parsed by the
 * Athena-rules test; the two differ only in how SHA-256 is turned into a number.
 */
describe('the audience SQL, against the reference functions', () => {
  let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;
  const rows = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJson();

  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => duck.closeSync());

  it('puts every user in the group groupOf gives, for any audience, user and holdout share', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
        fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 50 }),
        async (audience, users, holdout) => {
          const values = users.map((u) => `(${literal(u)})`).join(', ');
          const got = await rows(
            `SELECT u, ${audienceGroupSql('duckdb', audience, 'u', holdout)} AS g FROM (VALUES ${values}) AS t(u)`,
          );
          expect(got.map((r) => r.g)).toEqual(users.map((u) => groupOf(audience, u, holdout)));
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  it('shards a sync within the partitions one Athena statement may write', () => {
    expect(AUDIENCE_SYNC_SHARDS).toBeLessThanOrEqual(ATHENA_RULES.partitionsPerStatement.limit);
  });

  it('holds out about the share asked for', async () => {
    const [r] = await rows(
      `SELECT avg(CASE WHEN ${audienceGroupSql('duckdb', 'big', "'user-' || i", 10)} = 'holdout' THEN 1 ELSE 0 END) AS share FROM range(20000) t(i)`,
    );
    expect(Number(r!.share)).toBeGreaterThan(0.09);
    expect(Number(r!.share)).toBeLessThan(0.11);
  });

  it('takes the top share as topMembers does, at its edges too', async () => {
    const percentiles = [0, 0.1, 0.5, 0.79, 0.8, 0.8000000000001, 0.9, 0.99, 1];
    await duck.run(
      `CREATE OR REPLACE TABLE scores AS SELECT 'acme' AS customer_id, 'signed_up' AS event_key, DATE '2026-03-01' AS as_of, 'p' || i AS person, p AS percentile FROM (VALUES ${percentiles.map((p, i) => `(${i}, ${p})`).join(', ')}) AS t(i, p)`,
    );
    for (const top of [0.5, 1, 10, 20, 50, 100]) {
      const got = await rows(
        `${audienceMembersSql('duckdb', (n) => n, { customer: 'acme', eventKey: 'signed_up', asOf: '2026-03-01', name: 'a', top, holdout: 10, createdAt: 'now' })} ORDER BY user_id`,
      );
      const expected = topMembers(
        percentiles.map((p, i) => ({ person: `p${i}`, percentile: p })),
        top,
      )
        .map((m) => m.person)
        .sort();
      expect(got.map((r) => r.user_id)).toEqual(expected);
    }
  });

  describe('what a version changed and what a sync sends', () => {
    const table = (n: string) => n;
    beforeAll(async () => {
      // Version 1 from the scoring of March 1st: u1, u2 target, u3 holdout. Version 2 from March 8th:
      // u1 unchanged, u2 rescored, u3 left, u4 entered.
      await duck.run(`CREATE OR REPLACE TABLE audiences AS SELECT * FROM (VALUES
        ('acme', 'a', 1, 'u1', 'target'), ('acme', 'a', 1, 'u2', 'target'), ('acme', 'a', 1, 'u3', 'holdout'),
        ('acme', 'a', 2, 'u1', 'target'), ('acme', 'a', 2, 'u2', 'target'), ('acme', 'a', 2, 'u4', 'holdout')
      ) AS t(customer_id, audience, version, user_id, "group")`);
      // u4 is a visitor scored under their anonymous id: no user id.
      await duck.run(`CREATE OR REPLACE TABLE scores AS SELECT customer_id, event_key, CAST(as_of AS DATE) AS as_of, person, CASE WHEN person = 'u4' THEN NULL ELSE person END AS user_id, probability, percentile, CAST(10 - least(floor(percentile * 10), 9) AS INTEGER) AS decile FROM (VALUES
        ('acme', 'signed_up', '2026-03-01', 'u1', 0.5, 0.99), ('acme', 'signed_up', '2026-03-01', 'u2', 0.4, 0.95),
        ('acme', 'signed_up', '2026-03-01', 'u3', 0.3, 0.91),
        ('acme', 'signed_up', '2026-03-08', 'u1', 0.5, 0.99), ('acme', 'signed_up', '2026-03-08', 'u2', 0.35, 0.93),
        ('acme', 'signed_up', '2026-03-08', 'u3', 0.1, 0.5), ('acme', 'signed_up', '2026-03-08', 'u4', 0.45, 0.97)
      ) AS t(customer_id, event_key, as_of, person, probability, percentile)`);
    });
    // u4, the visitor, signed up on March 9th: the link reached the lake then (every test arranges it).
    beforeEach(async () => {
      await duck.run(`CREATE OR REPLACE TABLE events_curated AS SELECT customer_id, event_key, user_id, anonymous_id, CAST(event_date AS DATE) AS event_date, CAST(received_at AS TIMESTAMP) AS received_at FROM (VALUES
        ('acme', 'identify', 'new-user-4', 'u4', '2026-03-09', '2026-03-09 10:00:00')
      ) AS t(customer_id, event_key, user_id, anonymous_id, event_date, received_at)`);
      // The identity graph as the compaction keeps it: u4 merged into new-user-4.
      await duck.run(`CREATE OR REPLACE TABLE identities AS SELECT * FROM (VALUES
        ('acme', 'u4', 'new-user-4', true, false)
      ) AS t(customer_id, anonymous_id, user_id, merged, shared)`);
    });

    it('counts the groups, who entered and who left', async () => {
      expect(await rows(audienceChangeSql(table, 'acme', 'a', 1))).toEqual([
        { target: '2', holdout: '1', entered: '3', left: '0' },
      ]);
      expect(await rows(audienceChangeSql(table, 'acme', 'a', 2))).toEqual([
        { target: '2', holdout: '1', entered: '1', left: '1' },
      ]);
    });

    const spec = { customer: 'acme', name: 'a', event: 'Signed Up', eventKey: 'signed_up' };
    const sent = async (sql: string) =>
      (await rows(`${sql} ORDER BY user_id`)).map((r) => `${r.user_id}:${r.grp}:${Number(r.percentile)}`);

    it('sends every member on the first sync (membership only: the predictions are their own rows)', async () => {
      expect(await sent(audienceSyncSql(table, { ...spec, version: 1, asOf: '2026-03-01' }))).toEqual([
        'u1:target:0',
        'u2:target:0',
        'u3:holdout:0',
      ]);
    });

    it('sends only whose membership changed after a refresh: left (as left), entered', async () => {
      const after = audienceSyncSql(table, {
        ...spec,
        version: 2,
        asOf: '2026-03-08',
        previous: { version: 1, asOf: '2026-03-01' },
      });
      expect(await sent(after)).toEqual(['u3:left:0', 'u4:holdout:0']);
      // u4, scored under an anonymous id, is said to be anonymous: sent by anonymousId, never as a userId —
      // and, linked to a user since, with that user id too.
      const kinds = (await rows(after)).map((r) => [r.user_id, r.anonymous, r.linked_user_id]);
      expect(kinds).toEqual(
        expect.arrayContaining([
          ['u3', false, null],
          ['u4', true, 'new-user-4'],
        ]),
      );
    });

    it('links a visitor only where the identity graph merged them: a shared device links no one', async () => {
      await duck.run(`CREATE OR REPLACE TABLE identities AS SELECT * FROM (VALUES
        ('acme', 'u4', 'new-user-4', false, true), ('acme', 'u4', 'someone-else', false, true)
      ) AS t(customer_id, anonymous_id, user_id, merged, shared)`);
      const after = audienceSyncSql(table, {
        ...spec,
        version: 2,
        asOf: '2026-03-08',
        previous: { version: 1, asOf: '2026-03-01' },
      });
      const u4 = (await rows(after)).find((r) => r.user_id === 'u4');
      expect([u4?.anonymous, u4?.linked_user_id]).toEqual([true, null]);
    });

    it('sends a visitor again when their link reached the lake since the last sync, and only then', async () => {
      const again = (linkedSince: string) =>
        audienceSyncSql(table, {
          ...spec,
          version: 2,
          asOf: '2026-03-08',
          previous: { version: 2, asOf: '2026-03-08' },
          linkedSince,
        });
      // The last sync ran (less the lag) on March 8th: u4's link of the 9th is new.
      expect(await sent(again('2026-03-08T00:00:00.000Z'))).toEqual(['u4:holdout:0']);
      // After the 9th it was sent already.
      expect(await sent(again('2026-03-10T00:00:00.000Z'))).toEqual([]);
    });

    describe('one current prediction per person and event', () => {
      const prediction = { customer: 'acme', event: 'Signed Up', eventKey: 'signed_up' };
      const predicted = async (sql: string) =>
        (await rows(`${sql} ORDER BY user_id`)).map(
          (r) => `${r.user_id}:${r.percentile === null ? 'null' : Number(r.percentile)}`,
        );

      it('sends every scored person outside the holdouts on the first sync, visitors only when opted in', async () => {
        const first = (includeAnonymous: boolean) =>
          predictionSyncSql(table, {
            ...prediction,
            asOf: '2026-03-08',
            holdouts: [{ name: 'a', version: 2 }],
            includeAnonymous,
          });
        // u4 is held out in version 2 (and a visitor): never sent a prediction.
        expect(await predicted(first(false))).toEqual(['u1:0.99', 'u2:0.93', 'u3:0.5']);
        expect(await predicted(first(true))).toEqual(['u1:0.99', 'u2:0.93', 'u3:0.5']);
        const open = predictionSyncSql(table, {
          ...prediction,
          asOf: '2026-03-08',
          holdouts: [],
          includeAnonymous: true,
        });
        expect(await predicted(open)).toEqual(['u1:0.99', 'u2:0.93', 'u3:0.5', 'u4:0.97']);
        expect((await rows(open)).every((r) => r.grp === PREDICTION_GROUP && r.audience === null)).toBe(true);
      });

      it('after a rescoring, sends whose decile changed, and unsets the traits of who entered a holdout', async () => {
        // Synced on March 1st with version 1 (u3 held out then); now March 8th with version 2 (u4 held out).
        const after = predictionSyncSql(table, {
          ...prediction,
          asOf: '2026-03-08',
          previous: { asOf: '2026-03-01', holdouts: [{ name: 'a', version: 1 }] },
          holdouts: [{ name: 'a', version: 2 }],
          includeAnonymous: false,
        });
        // u1: same decile, not sent. u2: 0.95 → 0.93, same decile, not sent. u3: held out then, sent now.
        expect(await predicted(after)).toEqual(['u3:0.5']);
        // Synced on March 1st with no holdout; now u3 is held out (version 1's holdout): its traits are
        // unset; u1 and u2 kept their deciles.
        const heldNow = predictionSyncSql(table, {
          ...prediction,
          asOf: '2026-03-08',
          previous: { asOf: '2026-03-01', holdouts: [] },
          holdouts: [{ name: 'a', version: 1 }],
          includeAnonymous: false,
        });
        expect(await predicted(heldNow)).toEqual(['u3:null']);
      });
    });

    it('sends nothing when nothing changed since the last sync', async () => {
      const again = audienceSyncSql(table, {
        ...spec,
        version: 2,
        asOf: '2026-03-08',
        previous: { version: 2, asOf: '2026-03-08' },
      });
      expect(await sent(again)).toEqual([]);
    });

    it('counts a conversion for every id it carries: a visitor assigned by anonymous id converts as a new user', async () => {
      // u4 entered version 2 as a visitor (their anonymous id is the person); they sign up on March
      // 10th, the conversion carrying their new user id beside that anonymous id. u3 never converts.
      await duck.run(`CREATE OR REPLACE TABLE events_curated AS SELECT * FROM (VALUES
        ('acme', 'signed_up', 'new-user-4', 'u4', DATE '2026-03-10', TIMESTAMP '2026-03-10 10:00:00'),
        ('acme', 'signed_up', 'u1', NULL, DATE '2026-03-12', TIMESTAMP '2026-03-12 10:00:00')
      ) AS t(customer_id, event_key, user_id, anonymous_id, event_date, received_at)`);
      const lift = await rows(
        `${audienceConversionsSql(
          table,
          {
            customer_id: 'acme',
            name: 'a',
            event_key: 'signed_up',
            versions: [
              { version: 1, as_of: '2026-03-01' },
              { version: 2, as_of: '2026-03-08' },
            ],
          },
          '2026-03-01',
        )} ORDER BY 1, 2, 3`,
      );
      expect(lift.map((r) => `${r.group}:${r.first_version}:${r.first_day}:${r.users}`)).toEqual([
        'holdout:1:null:1',
        'holdout:2:2026-03-10:1',
        'target:1:2026-03-12:1',
        'target:1:null:1',
      ]);
    });
  });

  it('keeps a person’s earliest assignment under any of their ids: a held-out visitor stays held out after signing up', async () => {
    // Version 1 held out the visitor anon-9 (the opposite of what the hash gives user-9) and put u5 in
    // target; anon-9 then signed up as user-9 (an identify with both ids before the next scoring). The
    // shared device anon-s was seen with two users: it links no one.
    const hashed = groupOf('b', 'user-9', 10);
    const earlier = hashed === 'target' ? 'holdout' : 'target';
    await duck.run(`CREATE OR REPLACE TABLE audiences AS SELECT * FROM (VALUES
      ('acme', 'b', 1, 'anon-9', '${earlier}'), ('acme', 'b', 1, 'u5', 'target'), ('acme', 'b', 1, 'anon-s', 'holdout')
    ) AS t(customer_id, audience, version, user_id, "group")`);
    await duck.run(`CREATE OR REPLACE TABLE events_curated AS SELECT customer_id, user_id, anonymous_id, CAST(ts AS TIMESTAMP) AS "timestamp" FROM (VALUES
      ('acme', 'user-9', 'anon-9', '2026-03-05 10:00:00'),
      ('acme', 'user-7', 'anon-s', '2026-03-05 10:00:00'), ('acme', 'user-8', 'anon-s', '2026-03-06 10:00:00')
    ) AS t(customer_id, user_id, anonymous_id, ts)`);
    await duck.run(`CREATE OR REPLACE TABLE scores AS SELECT customer_id, event_key, CAST(as_of AS DATE) AS as_of, person, percentile FROM (VALUES
      ('acme', 'signed_up', '2026-03-08', 'user-9', 0.99), ('acme', 'signed_up', '2026-03-08', 'u5', 0.98),
      ('acme', 'signed_up', '2026-03-08', 'user-7', 0.97), ('acme', 'signed_up', '2026-03-08', 'fresh', 0.96)
    ) AS t(customer_id, event_key, as_of, person, percentile)`);
    const spec = {
      customer: 'acme',
      eventKey: 'signed_up',
      asOf: '2026-03-08',
      name: 'b',
      top: 50,
      holdout: 10,
      createdAt: 'now',
    };
    const groups = async (version: number) =>
      Object.fromEntries(
        (await rows(`${audienceMembersSql('duckdb', (n) => n, { ...spec, version })} ORDER BY user_id`)).map(
          (r) => [r.user_id, r.group],
        ),
      );

    expect(await groups(2)).toEqual({
      'user-9': earlier,
      u5: 'target',
      // A shared device's earlier assignment is no one's; a new person gets the hash's group.
      'user-7': groupOf('b', 'user-7', 10),
      fresh: groupOf('b', 'fresh', 10),
    });
    // The first version has nothing earlier: every group is the hash's.
    expect((await groups(1))['user-9']).toBe(hashed);
  });
});
