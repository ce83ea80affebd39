import { DuckDBInstance } from '@duckdb/node-api';
import { featuresSql } from '../../../../domain/contract/sql/intent-sql';

/**
 * Who a feature row is, on fixtures in DuckDB: the persons rules of docs/intent.md ("Persons") as the
 * features query applies them at a cutoff — the same text runs on Athena.
 */
const PERSONS_SPEC = {
  customerId: 'acme',
  eventKey: 'signedup',
  cutoff: '2026-03-01',
  lookbackDays: 30,
  horizonDays: 14,
  historyDays: 365,
  eventKeys: [],
  pagePaths: ['/pricing'],
  traitValues: [],
};

type Event = {
  type: string;
  userId?: string;
  anonymousId?: string;
  previousId?: string;
  event?: string;
  at: string;
  path?: string;
};

async function features(events: Event[]) {
  const db = await DuckDBInstance.create(':memory:');
  const duck = await db.connect();
  try {
    const text = (x: string | undefined) => (x === undefined ? 'NULL::VARCHAR' : `'${x}'`);
    const values = events
      .map(
        (e) =>
          `('acme', ${text(e.userId)}, ${text(e.anonymousId)}, ${text(e.event?.toLowerCase().replace(/[^a-z]/g, ''))}, '${e.type}', TIMESTAMP '${e.at}', '${JSON.stringify({ path: e.path ?? null })}'::JSON, '{}'::JSON, '${JSON.stringify(e.previousId ? { previousId: e.previousId } : {})}'::JSON)`,
      )
      .join(', ');
    await duck.run(
      `CREATE TABLE events_curated AS SELECT *, CAST("timestamp" AS DATE) AS event_date FROM (VALUES ${values}) AS v(customer_id, user_id, anonymous_id, event_key, type, "timestamp", properties, traits, message)`,
    );
    const rows = (
      await duck.runAndReadAll(featuresSql('duckdb', (n) => n, PERSONS_SPEC))
    ).getRowObjectsJson();
    return Object.fromEntries(
      rows.map((r) => [
        String(r.person),
        {
          user_id: r.user_id,
          anonymous_id: r.anonymous_id,
          pricing: Number(r.page_pricing),
          label: Number(r.label),
        },
      ]),
    );
  } finally {
    duck.closeSync();
    db.closeSync();
  }
}

describe('persons in the intent features, as of the cutoff', () => {
  it('follows a user renamed by an alias before the cutoff: one person, their devices and history merged', async () => {
    const rows = await features([
      { type: 'page', anonymousId: 'a1', path: '/pricing', at: '2026-02-10 10:00:00' },
      { type: 'identify', userId: 'old', anonymousId: 'a1', at: '2026-02-11 10:00:00' },
      { type: 'alias', userId: 'new', anonymousId: 'a1', previousId: 'old', at: '2026-02-12 10:00:00' },
      { type: 'page', userId: 'new', anonymousId: 'a1', path: '/pricing', at: '2026-02-20 10:00:00' },
      { type: 'page', userId: 'old', anonymousId: 'a2', path: '/pricing', at: '2026-02-21 10:00:00' },
    ]);
    // a1 was seen with old and new: one person after the rename, not a shared device.
    expect(rows).toEqual({ new: { user_id: 'new', anonymous_id: null, pricing: 3, label: 0 } });
  });

  it('links an anonymous id named by an alias’s previousId, and never merges a shared device', async () => {
    const rows = await features([
      { type: 'page', anonymousId: 'v1', path: '/pricing', at: '2026-02-10 10:00:00' },
      { type: 'alias', userId: 'carol', previousId: 'v1', at: '2026-02-11 10:00:00' },
      { type: 'identify', userId: 'alice', anonymousId: 's1', at: '2026-02-12 10:00:00' },
      { type: 'identify', userId: 'bob', anonymousId: 's1', at: '2026-02-13 10:00:00' },
      { type: 'page', anonymousId: 's1', path: '/pricing', at: '2026-02-14 10:00:00' },
    ]);
    expect(rows.carol).toEqual({ user_id: 'carol', anonymous_id: null, pricing: 1, label: 0 });
    // The shared browser's anonymous visits are nobody's but its own.
    expect(rows.s1).toEqual({ user_id: null, anonymous_id: 's1', pricing: 1, label: 0 });
    expect(rows.alice!.pricing + rows.bob!.pricing).toBe(0);
  });

  it('uses only links seen before the cutoff for features; the label may use the link the conversion carries', async () => {
    const rows = await features([
      { type: 'page', anonymousId: 'v9', path: '/pricing', at: '2026-02-20 10:00:00' },
      // Signs up after the cutoff: the conversion carries both ids.
      { type: 'identify', userId: 'dan', anonymousId: 'v9', at: '2026-03-05 10:00:00' },
      { type: 'track', userId: 'dan', anonymousId: 'v9', event: 'Signed Up', at: '2026-03-05 10:00:01' },
    ]);
    expect(rows).toEqual({ v9: { user_id: null, anonymous_id: 'v9', pricing: 1, label: 1 } });
  });
});

describe('what a features statement reads: the history window (historyDays)', () => {
  it('excludes an earlier converter and follows a link within the window, and reads nothing before it', async () => {
    const rows = await features([
      // Within a year of the 2026-03-01 cutoff: erin converted (not eligible), v5 was linked to finn.
      { type: 'track', userId: 'erin', event: 'Signed Up', at: '2025-06-01 10:00:00' },
      { type: 'page', userId: 'erin', path: '/pricing', at: '2026-02-20 10:00:00' },
      { type: 'identify', userId: 'finn', anonymousId: 'v5', at: '2025-06-01 10:00:00' },
      { type: 'page', anonymousId: 'v5', path: '/pricing', at: '2026-02-20 10:00:00' },
      // More than a year before: gus's conversion and v6's link are outside what the statement reads,
      // so gus is scored again and v6 is a visitor of its own (docs/intent.md, "What a run reads").
      { type: 'track', userId: 'gus', event: 'Signed Up', at: '2024-12-01 10:00:00' },
      { type: 'page', userId: 'gus', path: '/pricing', at: '2026-02-20 10:00:00' },
      { type: 'identify', userId: 'hal', anonymousId: 'v6', at: '2024-12-01 10:00:00' },
      { type: 'page', anonymousId: 'v6', path: '/pricing', at: '2026-02-20 10:00:00' },
    ]);
    expect(Object.keys(rows).sort()).toEqual(['finn', 'gus', 'v6']);
    expect(rows.finn).toEqual({ user_id: 'finn', anonymous_id: null, pricing: 1, label: 0 });
  });

  it('prunes by event date as well as time, in every read of the curated table', () => {
    const sql = featuresSql('athena', (n) => n, PERSONS_SPEC);
    // The window's first day less one, and the horizon's end: Iceberg prunes the months outside.
    expect(sql).toContain("event_date >= DATE '2025-02-28'");
    expect(sql).toContain("event_date <= DATE '2026-03-01'");
    expect(sql).toContain("event_date >= DATE '2026-02-28'");
    expect(sql).toContain("event_date <= DATE '2026-03-15'");
  });
});

describe('the intent feature SQL', () => {
  const spec = {
    ...PERSONS_SPEC,
    eventKeys: ['productviewed'],
    traitValues: [{ trait: 'plan', value: 'trial' }],
  };

  it('is one text for both engines but for how a JSON field is read', () => {
    const duck = featuresSql('duckdb', (n) => n, spec);
    const athena = featuresSql('athena', (n) => n, spec);

    expect(
      athena.replace(/json_extract_scalar/g, 'json_extract_string').replace(/\$\["(\w+)"\]/g, '$."$1"'),
    ).toBe(duck);
    expect(duck).toContain(
      `json_extract_string(e.traits, '$."plan"') = 'trial' THEN 1 ELSE 0 END) AS trait_plan_trial`,
    );
    // Features before the cutoff, the label in the horizon after it, nothing else.
    expect(duck).toContain(`"timestamp" < TIMESTAMP '2026-03-01 00:00:00'`);
    expect(duck).toContain(
      `"timestamp" >= TIMESTAMP '2026-03-01 00:00:00' AND event_date >= DATE '2026-02-28' AND "timestamp" < TIMESTAMP '2026-03-15 00:00:00'`,
    );
    expect(duck).toContain(`e.event_at >= TIMESTAMP '2026-01-30 00:00:00'`);
    expect(duck).toContain('AS key_productviewed');
    expect(duck).toContain('AS page_pricing');
  });
});
