import { rmSync } from 'node:fs';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { createToken } from '../../domain/core/keys/token-admin';
import { openLocalLake } from '../../local/lake-query';
import type { LocalDestination } from '../../local/local-server';
import { buildAudience } from '../../scripts/audience/audiences';
import { syncAudiences } from '../../scripts/audience/sync';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { type IntentReport, runIntent } from '../../scripts/intent/run-intent';
import { sendBatches } from '../../scripts/simulate/send';
import { tempDataDir } from '../support/local-destination';
import { simulatedLake } from '../support/simulated-lake';

/**
 * Intent on traffic as analytics.js sends it from people (the simulator's `devices`): a visitor's
 * messages carry only an anonymous id until they sign up, and the sign-up links that device to their
 * user id; people use several devices, log in and out, share browsers, and send aliases. With the
 * person taken as coalesce(user_id, anonymous_id), the visitor's history and their conversion never met
 * and the run found no conversion at all; by person (links seen before the cutoff) it finds the planted
 * behaviour.
 */
describe('intent by person on traffic from people with devices', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let lake: string;
  let report: IntentReport;

  beforeAll(async () => {
    dataDir = tempDataDir('intent-persons-');
    ({ lake, destination } = await simulatedLake(dataDir, [['visitors', 'pricing', 11, 2_000, 'devices']]));
    report = await runIntent({ lakeRoot: lake, customer: 'visitors', event: 'signed_up' });
  }, 240_000);
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ranks the visitors who sign up next, from their anonymous history', () => {
    expect(report.training.converted).toBeGreaterThan(20);
    expect(report.validationAuc).toBeGreaterThanOrEqual(0.7);
  });

  it('builds the graph such traffic needs: people with several devices, shared browsers, user aliases', async () => {
    const querier = await openLocalLake(lake);
    try {
      const [graph] = (
        await querier.query(
          `select count_if(shared) as shared, count(distinct anonymous_id) as devices, count(distinct user_id) as users from identities where customer_id = 'visitors'`,
        )
      ).rows;
      expect(Number(graph!.shared)).toBeGreaterThan(0);
      expect(Number(graph!.devices)).toBeGreaterThan(1.3 * Number(graph!.users));
      const [renamed] = (
        await querier.query(
          `select count(*) as n from events_curated where customer_id = 'visitors' and type = 'alias' and user_id like '%-renamed'`,
        )
      ).rows;
      expect(Number(renamed!.n)).toBeGreaterThan(0);
    } finally {
      querier.close();
    }
  });

  it('scores one row per person — visitors by anonymous id, users by user id — and no one who already signed up', async () => {
    const querier = await openLocalLake(lake);
    try {
      const rows = async (sql: string) => (await querier.query(sql)).rows;
      const [shape] = await rows(
        `select count(*) as n, count(distinct person) as persons, count_if(user_id is not null and anonymous_id is not null) as both_ids, count_if(user_id is null and anonymous_id is null) as neither from scores where customer_id = 'visitors' and as_of = date '${report.asOf}'`,
      );
      expect(Number(shape!.n)).toBe(Number(shape!.persons));
      expect([Number(shape!.both_ids), Number(shape!.neither)]).toEqual([0, 0]);
      // Everyone who signed up before the scoring date, under either of their ids, is not scored.
      const [already] = await rows(
        `with c as (select user_id, anonymous_id from events_curated where customer_id = 'visitors' and event_key = 'signedup' and "timestamp" < timestamp '${report.asOf} 00:00:00') ` +
          `select count(*) as n from scores s join c on s.person = c.user_id or s.person = c.anonymous_id where s.customer_id = 'visitors' and s.as_of = date '${report.asOf}'`,
      );
      expect(Number(already!.n)).toBe(0);
    } finally {
      querier.close();
    }
  });

  it('re-checks each audience member against the identity graph at sync: a visitor who signed up since gets both ids', async () => {
    await buildAudience({
      lakeRoot: lake,
      customer: 'visitors',
      name: 'likely',
      event: 'signed_up',
      top: 50,
      holdout: 10,
      refresh: false,
      now: new Date('2026-04-01T06:00:00Z'),
    });
    const querier = await openLocalLake(lake);
    let visitor: string;
    try {
      const [row] = (
        await querier.query(
          `select m.user_id as person from audiences m join scores s on s.person = m.user_id and s.customer_id = m.customer_id where m.customer_id = 'visitors' and s.anonymous_id is not null and s.as_of = date '${report.asOf}' order by 1 limit 1`,
        )
      ).rows;
      visitor = String(row!.person);
    } finally {
      querier.close();
    }
    const sync = async (day: string) => {
      const calls: Record<string, unknown>[] = [];
      await syncAudiences({
        dataDir,
        customer: 'visitors',
        host: 'https://segment.test',
        writeKey: 'wk',
        now: new Date(`${day}T00:00:00Z`),
        fetch: (async (_url: string, init: { body: string }) => {
          calls.push(...(JSON.parse(init.body) as { batch: Record<string, unknown>[] }).batch);
          return new Response('{}', { status: 200 });
        }) as unknown as typeof fetch,
      });
      return calls;
    };
    // The first sync: the visitor by their anonymous id alone.
    const first = await sync('2026-04-01');
    expect(first.find((c) => c.anonymousId === visitor)).not.toHaveProperty('userId');

    // The visitor signs up after the scoring: an identify links their device to a new user id.
    const { token } = await createToken(new FileTokenStore(dataDir), 'visitors', new Date());
    const sent = await sendBatches(destination.url, token, [
      {
        type: 'identify',
        messageId: 'later-sign-up',
        userId: 'signed-up-later',
        anonymousId: visitor,
        timestamp: '2026-04-02T10:00:00.000Z',
      },
    ]);
    expect(sent.accepted).toBe(1);
    await destination.flush();
    await runCompaction({ lakeRoot: lake });

    // The next sync sends the visitor again, with both ids — and nobody else: nothing else changed.
    const calls = await sync('2026-04-03');
    expect(calls).toHaveLength(1);
    expect(calls.find((c) => c.anonymousId === visitor)).toMatchObject({ userId: 'signed-up-later' });
    // Nobody is sent with an anonymous id as a userId.
    expect([...first, ...calls].filter((c) => String(c.userId).startsWith('anon-'))).toEqual([]);
  });
});
