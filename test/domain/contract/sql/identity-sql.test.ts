import { DuckDBInstance } from '@duckdb/node-api';
import { ATHENA_RULES } from '../../../../domain/contract/sql/athena-rules';
import {
  athenaBackfillIdentityFacts,
  athenaCreateIdentityFacts,
  IDENTITIES_COLUMNS,
  IDENTITY_FACT_BUCKETS,
  identitiesSql,
  identityFactsSql,
  USERS_COLUMNS,
  usersSql,
} from '../../../../domain/contract/sql/identity-sql';

/**
 * The identity graph is built incrementally on AWS: each compaction item's facts are folded into the
 * facts table by a MERGE (earliest first seen, latest last seen, the later value), and `identities`
 * and `users` are derived from the table. Here, in DuckDB with the same builders: facts of a history
 * split into runs, folded by the MERGE's rule, give the same two relations as the facts of the whole
 * history at once — whatever the order the runs arrive in (a Replay brings old rows late).
 */
type Row = {
  type: string;
  userId?: string;
  anonymousId?: string;
  previousId?: string;
  traits?: Record<string, unknown>;
  at: string;
};

const HISTORY: Row[] = [
  { type: 'page', anonymousId: 'a1', at: '2026-01-01 10:00:00' },
  {
    type: 'identify',
    userId: 'u1',
    anonymousId: 'a1',
    traits: { plan: 'free', email: 'x@y' },
    at: '2026-01-02 10:00:00',
  },
  { type: 'track', userId: 'u1', anonymousId: 'a2', at: '2026-01-03 10:00:00' },
  // A shared device: a3 seen with u1 and u2.
  { type: 'identify', userId: 'u2', anonymousId: 'a3', traits: { plan: 'pro' }, at: '2026-01-04 10:00:00' },
  { type: 'track', userId: 'u1', anonymousId: 'a3', at: '2026-01-05 10:00:00' },
  // u1's later identify changes one trait; an alias renames u2 to u3; an alias from an anonymous id.
  { type: 'identify', userId: 'u1', traits: { plan: 'pro' }, at: '2026-01-06 10:00:00' },
  { type: 'alias', userId: 'u3', previousId: 'u2', at: '2026-01-07 10:00:00' },
  { type: 'alias', userId: 'u3', previousId: 'a9', at: '2026-01-08 10:00:00' },
  { type: 'identify', userId: 'null', anonymousId: 'a4', at: '2026-01-09 10:00:00' },
];

async function withDuck<T>(use: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>) {
  const db = await DuckDBInstance.create(':memory:');
  const duck = await db.connect();
  try {
    return await use(async (sql) => (await duck.runAndReadAll(sql)).getRowObjectsJson());
  } finally {
    duck.closeSync();
    db.closeSync();
  }
}

const rowsTable = (name: string, rows: readonly Row[]) => {
  const text = (x: string | undefined) => (x === undefined ? 'NULL::VARCHAR' : `'${x}'`);
  const values = rows
    .map(
      (r) =>
        `('acme', ${text(r.userId)}, ${text(r.anonymousId)}, '${r.type}', '${JSON.stringify(r.previousId ? { previousId: r.previousId } : {})}', ${r.traits ? `'${JSON.stringify(r.traits)}'` : 'NULL::VARCHAR'}, TIMESTAMP '${r.at}')`,
    )
    .join(', ');
  return `CREATE TABLE ${name} AS SELECT * FROM (VALUES ${values}) AS v(customer_id, user_id, anonymous_id, type, message, traits, "timestamp")`;
};

/** The MERGE's fold (identity-sql.ts, athenaMergeIdentityFacts) over facts tables, as one GROUP BY. */
const folded = (tables: readonly string[]) =>
  `(SELECT customer_id, kind, user_id, from_id, min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at, max_by(value, last_seen_at) AS value FROM (${tables
    .map((t) => `SELECT * FROM ${t}`)
    .join(' UNION ALL ')}) GROUP BY customer_id, kind, user_id, from_id)`;

async function graphs(runs: readonly (readonly Row[])[]) {
  return withDuck(async (run) => {
    const names: string[] = [];
    for (const [i, rows] of runs.entries()) {
      await run(rowsTable(`rows_${i}`, rows));
      await run(`CREATE TABLE facts_${i} AS ${identityFactsSql('duckdb', `rows_${i}`)}`);
      names.push(`facts_${i}`);
    }
    const facts = folded(names);
    return {
      identities: await run(identitiesSql('duckdb', facts)),
      // Traits as JSON values: an object's key order is no fact.
      users: (await run(usersSql('duckdb', facts))).map(
        (u): Record<string, unknown> => ({ ...u, traits: JSON.parse(String(u.traits)) }),
      ),
    };
  });
}

describe('identity facts fold incrementally (the AWS compaction’s MERGE rule)', () => {
  it('gives the graph of the whole history from its runs, in any order', async () => {
    const whole = await graphs([HISTORY]);
    const runs = [HISTORY.slice(0, 3), HISTORY.slice(3, 6), HISTORY.slice(6)];

    expect(await graphs(runs)).toEqual(whole);
    expect(await graphs([...runs].reverse())).toEqual(whole);
    // A run merged twice (a retried item) changes nothing.
    expect(await graphs([...runs, runs[1]!])).toEqual(whole);

    // And the graph is the one the rules give (domain/contract/identity.ts).
    const pairs = whole.identities.map(
      (r) => `${r.anonymous_id}>${r.user_id}:${r.shared ? 'shared' : r.merged ? 'merged' : ''}`,
    );
    expect(pairs.sort()).toEqual([
      'a1>u1:merged',
      'a2>u1:merged',
      'a3>u1:shared',
      'a3>u3:shared',
      'a9>u3:merged',
    ]);
    const byUser = Object.fromEntries(whole.users.map((u) => [u.user_id, u]));
    expect(Object.keys(byUser).sort()).toEqual(['u1', 'u3']);
    expect(byUser.u1!.traits).toEqual({ plan: 'pro', email: 'x@y' });
    expect(byUser.u1!.anonymous_ids).toEqual(['a1', 'a2']);
    expect(byUser.u3!.traits).toEqual({ plan: 'pro' });
    // The columns the AWS views declare are the ones the SQL gives (locally, all but customer_id).
    const local = (columns: { name: string }[]) =>
      columns.map((c) => c.name).filter((n) => n !== 'customer_id');
    expect(Object.keys(whole.identities[0]!)).toEqual(local(IDENTITIES_COLUMNS));
    expect(Object.keys(whole.users[0]!)).toEqual(local(USERS_COLUMNS));
  });
});

describe('a catch-up of pending runs on AWS', () => {
  // 24 runs (MAX_PENDING_SCOPES), each of 2,000 live customers and 32 backlog items.
  const catchUp = (idLength: number) => {
    const customer = (i: number) => `c${String(i).padStart(idLength - 1, '0')}`;
    const runs = Array.from({ length: 24 }, (_, run) => ({
      customers: Array.from({ length: 2_000 }, (_, i) => ({
        customerId: customer(i),
        since: `2026-11-${String(1 + run).padStart(2, '0')}`,
      })),
      ranges: Array.from({ length: 32 }, (_, i) => ({
        customerId: customer(i),
        from: `20${20 + (run % 5)}-01-01`,
        to: `20${20 + (run % 5)}-12-31`,
      })),
    }));
    return athenaBackfillIdentityFacts('db', {
      customers: runs.flatMap((r) => r.customers),
      ranges: runs.flatMap((r) => r.ranges),
    });
  };

  it('stays within Athena’s query string for a day of failed runs of 2,000 customers and their backlogs', () => {
    // Ids of 20 characters: a quarter of the limit, as every statement (test/contract/athena-rules.test.ts);
    // the longest ids a customer may have (64): still under it.
    expect(Buffer.byteLength(catchUp(20))).toBeLessThan(ATHENA_RULES.queryStringBytes.limit / 4);
    expect(Buffer.byteLength(catchUp(64))).toBeLessThan(ATHENA_RULES.queryStringBytes.limit);
    const sql = catchUp(20);
    // Each customer named once, from the earliest day named; each backlog as one span.
    expect(sql.split("'c0000000000000000001'").length - 1).toBe(2);
    expect(sql).toContain("event_date >= DATE '2026-11-01'");
    expect(sql).not.toContain("DATE '2026-11-02'");
    expect(sql.match(/BETWEEN/g)).toHaveLength(32);
  });
});

describe('the facts table on AWS', () => {
  it('writes at most its buckets’ partitions a statement, within Athena’s limit', () => {
    expect(IDENTITY_FACT_BUCKETS).toBeLessThanOrEqual(ATHENA_RULES.partitionsPerStatement.limit);
    expect(athenaCreateIdentityFacts('db', 's3://lake/curated/identity_facts/')).toContain(
      `PARTITIONED BY (bucket(${IDENTITY_FACT_BUCKETS}, customer_id))`,
    );
  });
});
