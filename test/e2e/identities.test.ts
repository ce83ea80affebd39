import { rmSync } from 'node:fs';
import { jsonLogger } from '../../adapters/system/json-logger';
import { IDENTITY_RULES } from '../../domain/contract/identity';
import { openLocalLake } from '../../local/lake-query';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { makeToken, post, tempDataDir } from '../support/local-destination';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 10, minute)).toISOString();
let sent = 0;
const nextId = () => {
  sent += 1;
  return `m-${sent}`;
};
const msg = (type: string, fields: Record<string, unknown>, minute: number) => ({
  type,
  messageId: nextId(),
  timestamp: at(minute),
  ...fields,
});

/**
 * The identity graph `npm run compact` builds from what Segment really sends: a visitor anonymous until
 * sign-up and then on a second device, a browser two people sign in to, a user renamed by an alias, ids
 * that are placeholders, and a kiosk that would pull in hundreds of visitors.
 */
describe('the identity graph (identities and users)', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let rows: (sql: string) => Promise<Record<string, unknown>[]>;
  let betaToken: string;

  beforeAll(async () => {
    dataDir = tempDataDir('identities-');
    destination = await startLocalServer({ dataDir, port: 0, logger: jsonLogger('identities') });
    const { token } = await makeToken(dataDir, 'acme');
    const batch = [
      // alice: anonymous, then signs up (identify and Signed Up carry both ids), then a second device.
      msg('page', { anonymousId: 'a1', name: 'Pricing' }, 1),
      msg('identify', { anonymousId: 'a1', userId: 'alice', traits: { plan: 'free', email: 'a@x.io' } }, 2),
      msg('track', { anonymousId: 'a1', userId: 'alice', event: 'Signed Up' }, 3),
      msg('identify', { anonymousId: 'a2', userId: 'alice', traits: { plan: 'pro' } }, 20),
      // A shared browser: alice, later bob.
      msg('identify', { anonymousId: 's1', userId: 'alice' }, 30),
      msg('identify', { anonymousId: 's1', userId: 'bob', traits: { plan: 'free' } }, 31),
      // carol was old-carol until an alias renamed her.
      msg('identify', { anonymousId: 'c1', userId: 'old-carol' }, 5),
      msg('alias', { userId: 'carol', previousId: 'old-carol' }, 40),
      msg('track', { userId: 'carol', event: 'Opened' }, 41),
      // Placeholders link nothing.
      msg('identify', { anonymousId: 'null', userId: 'dave' }, 6),
      msg('identify', { anonymousId: 'g1', userId: 'guest' }, 7),
      msg('identify', { anonymousId: ' undefined ', userId: 'erin' }, 8),
      // A kiosk signs in on every visitor's id: only the first ones merge.
      ...Array.from({ length: IDENTITY_RULES.anonymousIdsPerUser + 1 }, (_, i) =>
        msg('identify', { anonymousId: `k${String(i).padStart(3, '0')}`, userId: 'kiosk' }, 10 + i / 1000),
      ),
    ];
    expect((await post(`${destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
    // A second customer whose alice is erased by one test: acme's graph stays as the others read it.
    betaToken = (await makeToken(dataDir, 'beta')).token;
    const beta = [
      msg('identify', { anonymousId: 'b-a1', userId: 'alice' }, 1),
      msg('identify', { anonymousId: 'b-s1', userId: 'alice' }, 2),
      msg('identify', { anonymousId: 'b-s1', userId: 'bob' }, 3),
      msg('track', { anonymousId: 'b-s1', userId: 'bob', event: 'Opened' }, 4),
    ];
    expect((await post(`${destination.url}/v1/batch`, { batch: beta }, betaToken)).status).toBe(200);
    await destination.flush();
    const report = await runCompaction({ lakeRoot: `${dataDir}/lake` });
    expect(report).toMatchObject({ identityCustomers: 2, identityFailed: [] });
    rows = async (sql) => {
      const lake = await openLocalLake(`${dataDir}/lake`);
      try {
        return (await lake.query(sql)).rows;
      } finally {
        lake.close();
      }
    };
  }, 60_000);
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('links a visitor’s anonymous ids to their user id, first and last seen, and a shared device to no one', async () => {
    const links = await rows(
      "select anonymous_id, user_id, shared, merged, cast(first_seen_at as varchar) as first from identities where customer_id = 'acme' and user_id <> 'kiosk' order by user_id, anonymous_id",
    );
    expect(links.map((l) => [l.anonymous_id, l.user_id, l.shared, l.merged])).toEqual([
      ['a1', 'alice', false, true],
      ['a2', 'alice', false, true],
      ['s1', 'alice', true, false],
      ['s1', 'bob', true, false],
      ['c1', 'carol', false, true],
    ]);
    expect(links[0]!.first).toMatch(/^2026-11-01 10:02:00/);
  });

  it('keeps each person’s latest value of each trait, their merged anonymous ids, and follows an alias', async () => {
    const users = await rows(
      "select user_id, anonymous_ids, traits, cast(first_seen_at as varchar) as first from users where customer_id = 'acme' and user_id <> 'kiosk' order by user_id",
    );
    const byId = Object.fromEntries(users.map((u) => [u.user_id, u]));
    expect(Object.keys(byId).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(byId.alice!.anonymous_ids).toEqual(['a1', 'a2']);
    expect(JSON.parse(String(byId.alice!.traits))).toEqual({ plan: 'pro', email: 'a@x.io' });
    expect(byId.bob!.anonymous_ids).toEqual([]);
    // old-carol is carol: her first message (as old-carol, minute 5) is carol's first.
    expect(byId.carol!.first).toMatch(/^2026-11-01 10:05:00/);
    expect(byId.carol!.anonymous_ids).toEqual(['c1']);
    // Placeholders: no user "guest", and dave and erin have no anonymous id.
    expect(byId.dave!.anonymous_ids).toEqual([]);
    expect(byId.erin!.anonymous_ids).toEqual([]);
  });

  it('merges at most IDENTITY_RULES.anonymousIdsPerUser anonymous ids into one person, the first seen', async () => {
    const [kiosk] = await rows(
      "select len(anonymous_ids) as merged, list_contains(anonymous_ids, 'k000') as first from users where user_id = 'kiosk'",
    );
    expect([Number(kiosk!.merged), kiosk!.first]).toEqual([IDENTITY_RULES.anonymousIdsPerUser, true]);
    const [late] = await rows("select merged from identities where anonymous_id = 'k100'");
    expect(late!.merged).toBe(false);
  });

  it('loses the erased person at an erase — bob keeps his own link on the browser he shared', async () => {
    const beta = (sql: string) => rows(`${sql} and customer_id = 'beta'`);
    const deleted = await post(
      `${destination.url}/v1/delete`,
      { type: 'delete', userId: 'alice', messageId: 'del-alice' },
      betaToken,
    );
    expect(deleted.status).toBe(200);
    await destination.eraseDue({ all: true });
    expect(
      await beta("select anonymous_id from identities where (user_id = 'alice' or anonymous_id = 'b-a1')"),
    ).toEqual([]);
    expect(await beta("select user_id from users where user_id = 'alice'")).toEqual([]);
    expect(
      (await beta("select user_id from identities where anonymous_id = 'b-s1'")).map((r) => r.user_id),
    ).toEqual(['bob']);
    expect(await beta("select user_id from users where user_id = 'bob'")).toHaveLength(1);
    // Another customer's alice is another person: acme's graph is as it was.
    expect(
      await rows("select user_id from users where customer_id = 'acme' and user_id = 'alice'"),
    ).toHaveLength(1);
  }, 60_000);
});
