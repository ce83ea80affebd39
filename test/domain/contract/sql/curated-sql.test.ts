import { DuckDBInstance } from '@duckdb/node-api';
import { CURATED_COLUMNS, CURATED_PARTITIONS } from '../../../../domain/contract/curated-table';
import { EVENT_FIELDS } from '../../../../domain/contract/lake-records';
import {
  athenaCreateCuratedTable,
  athenaMergeItem,
  athenaOptimizeItem,
  athenaStagedPartitions,
  athenaVacuum,
  curatedSelectList,
  duckdbLifted,
  firstReceived,
} from '../../../../domain/contract/sql/curated-sql';
import { QUESTIONS } from '../../../../domain/contract/sql/questions-sql';

/**
 * Fields of the landing record the curated table leaves out, and why: every other field is a column.
 * This test holds the two lists to EVENT_FIELDS, so a new field cannot be forgotten.
 */
const CURATED_OMITS: Partial<Record<keyof typeof EVENT_FIELDS, string>> = {
  schema_version: 'the landing format version; the curated table has its own schema',
  area: 'always events',
  dt: 'the landing-era event date (receive date when out of range); event_date replaces it',
  event_date_from_sent_at:
    'how event_date was found; compaction uses it to find a resend by id, the row needs no copy of it',
};

describe('the curated table contract', () => {
  it('has a column for every field of the event record, or says why not', () => {
    const covered = [
      ...CURATED_COLUMNS.filter((c) => c.from === 'field').map((c) => c.name),
      ...CURATED_PARTITIONS.map((p) => p.name),
      ...Object.keys(CURATED_OMITS),
    ].sort();

    expect(covered).toEqual(Object.keys(EVENT_FIELDS).sort());
  });
});

describe('the curated SQL for Athena (statement shape)', () => {
  it('creates an Iceberg table partitioned by customer and the month of the event date', () => {
    const sql = athenaCreateCuratedTable('lake_db', 's3://lake/curated/events/');

    expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS "lake_db"\."events_curated" \(/);
    expect(sql).toContain('"timestamp" timestamp');
    expect(sql).toContain('"event_date" date');
    expect(sql).toContain('PARTITIONED BY (customer_id, month(event_date))');
    expect(sql).toContain("'table_type' = 'ICEBERG'");
    // OPTIMIZE rewrites files under 8 MiB, and every data file with a delete file (an erased row).
    expect(sql).toContain("'optimize_rewrite_min_data_file_size_bytes' = '8388608'");
    expect(sql).toContain("'optimize_rewrite_data_file_threshold' = '1'");
    expect(sql).toContain("'optimize_rewrite_delete_file_threshold' = '1'");
  });

  it('merges an item’s partitions on (customer_id, message_id), reading only the run’s staged objects', () => {
    const item = {
      customers: ["o'brien", 'acme'],
      days: [
        { customerId: "o'brien", eventDate: '2024-12-01' },
        { customerId: 'acme', eventDate: '2026-11-28' },
      ],
      rows: 10,
    };
    const sql = athenaMergeItem('lake_db', 'run-1', item);

    expect(sql).toMatch(/^MERGE INTO "lake_db"\."events_curated" AS t\nUSING/);
    // The staging table's injected keys, as literals: the run and its customers.
    expect(sql).toContain(
      `FROM "lake_db"."compaction_staging" AS l\n  WHERE l.run_id = 'run-1' AND l.customer_id IN ('o''brien', 'acme')`,
    );
    // The item's days, named, on the source and the target; the key is the message, not its date.
    // Plain conjuncts first, which Trino pushes into the scan; the exact pairs after them.
    const days = (alias: string) =>
      `${alias}.customer_id IN ('o''brien', 'acme') AND ${alias}.event_date IN (DATE '2024-12-01', DATE '2026-11-28') AND (${alias}.customer_id, ${alias}.event_date) IN (('o''brien', DATE '2024-12-01'), ('acme', DATE '2026-11-28'))`;
    expect(sql).toContain(`WHERE ${days('firsts')} AND NOT firsts.`);
    expect(sql).toContain(
      `ON ${days('t')} AND t.customer_id = s.customer_id AND t.message_id = s.message_id\n`,
    );
    expect(sql).toContain('WHEN MATCHED AND s.received_at < t.received_at THEN UPDATE SET');
    expect(sql).toContain('WHEN NOT MATCHED THEN INSERT');
    // Rows dated by sentAt are left to an item of their own.
    expect(sql).toContain(') AND NOT firsts.sent_at_dated) AS s');

    // That item looks the message up in every partition of its customers, and never writes outside its own.
    const byId = athenaMergeItem('lake_db', 'run-1', { ...item, byId: true });
    expect(byId).toContain(`WHERE ${days('firsts')} AND firsts.sent_at_dated) AS s`);
    expect(byId).toContain(
      "ON t.customer_id IN ('o''brien', 'acme') AND t.customer_id = s.customer_id AND t.message_id = s.message_id\n",
    );
    expect(byId).toContain(
      'WHEN MATCHED AND s.received_at < t.received_at AND t.event_date = s.event_date THEN UPDATE',
    );
    // 101 partitions: a customer's 101 months.
    const tooMany = {
      customers: ['a'],
      days: Array.from({ length: 101 }, (_, i) => ({
        customerId: 'a',
        eventDate: `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`,
      })),
      rows: 101,
    };
    expect(() => athenaMergeItem('lake_db', 'run-1', tooMany)).toThrow('at most 100 partitions');
    // Many days of one month are one partition.
    const oneMonth = {
      customers: ['a'],
      days: Array.from({ length: 28 }, (_, i) => ({
        customerId: 'a',
        eventDate: `2024-02-${String(i + 1).padStart(2, '0')}`,
      })),
      rows: 28,
    };
    expect(() => athenaMergeItem('lake_db', 'run-1', oneMonth)).not.toThrow();
  });

  it('plans from the run’s staged rows, optimizes only what was merged, and vacuums', () => {
    expect(athenaStagedPartitions('lake_db', 'run-1', ['acme', 'globex'])).toContain(
      `WHERE l.run_id = 'run-1' AND l.customer_id IN ('acme', 'globex')`,
    );
    expect(() => athenaStagedPartitions('lake_db', 'run-1', [])).toThrow('at least one customer');
    expect(
      athenaOptimizeItem('lake_db', {
        customers: ['acme', 'globex'],
        days: [
          { customerId: 'acme', eventDate: '2026-11-27' },
          { customerId: 'acme', eventDate: '2026-11-28' },
          { customerId: 'acme', eventDate: '2026-12-01' },
          { customerId: 'globex', eventDate: '9999-12-31' },
        ],
        rows: 4,
      }),
    ).toBe(
      // Whole months (OPTIMIZE takes only partition predicates): acme's November and December.
      `OPTIMIZE "lake_db"."events_curated" REWRITE DATA USING BIN_PACK
WHERE (customer_id = 'acme' AND event_date >= DATE '2026-11-01' AND event_date < DATE '2026-12-01')
  OR (customer_id = 'acme' AND event_date >= DATE '2026-12-01' AND event_date < DATE '2027-01-01')
  OR (customer_id = 'globex' AND event_date >= DATE '9999-12-01')`,
    );
    expect(athenaVacuum('lake_db')).toBe('VACUUM "lake_db"."events_curated"');
  });

  it('reads timestamps as UTC instants and JSON parts as text', () => {
    const athena = curatedSelectList('athena');

    expect(athena).toContain(
      `try(CAST(from_iso8601_timestamp(l."timestamp") AT TIME ZONE 'UTC' AS timestamp(6))) AS "timestamp"`,
    );
    expect(athena).toContain(`json_format(json_extract(l.message, '$.properties')) AS "properties"`);
    expect(athena).toContain(
      `CASE WHEN l.event_date = '1970-01-01' THEN try(CAST(substr(l.received_at, 1, 10) AS date)) ELSE coalesce(try(CAST(l.event_date AS date)), try(CAST(l.dt AS date))) END AS "event_date"`,
    );
  });
});

describe('the same logic in DuckDB, on fixtures', () => {
  const row = (over: Record<string, string>) => ({
    message_id: 'm',
    customer_id: 'c',
    event_date: '2026-01-01',
    dt: '2026-01-01',
    request_id: 'r',
    received_at: '2026-01-02T00:00:00.000Z',
    timestamp: '2026-01-01T10:00:00.000+02:00',
    message: '{"properties":{"plan":"pro"},"context":{"ip":"1.2.3.4"}}',
    ...over,
  });

  async function run(rows: Record<string, string>[], sql: (source: string) => string) {
    const db = await DuckDBInstance.create(':memory:');
    const duck = await db.connect();
    try {
      const fields = Object.keys(EVENT_FIELDS);
      const values = rows
        .map(
          (r) =>
            `(${fields.map((f) => (f === 'message' ? `'${r.message}'::JSON` : r[f] === undefined ? 'NULL' : `'${r[f]}'`)).join(', ')})`,
        )
        .join(', ');
      await duck.run(
        `CREATE TABLE landing AS SELECT * FROM (VALUES ${values}) AS v(${fields.map((f) => `"${f}"`).join(', ')})`,
      );
      // The landing row's boolean and array fields as DuckDB reads them from JSON lines.
      const select = curatedSelectList('duckdb').replace(/l\."violations"/g, "CAST('[]' AS JSON)");
      return (
        await duck.runAndReadAll(sql(`SELECT ${select} FROM ${duckdbLifted('landing')} AS l`))
      ).getRowObjectsJson();
    } finally {
      duck.closeSync();
      db.closeSync();
    }
  }

  it('keeps the first received copy of each message, whatever the order it arrives in', async () => {
    const copies = [
      row({ request_id: 'late', received_at: '2026-03-01T00:00:00.000Z' }),
      row({ request_id: 'first', received_at: '2026-01-02T00:00:00.000Z' }),
      row({ request_id: 'same-time-b', received_at: '2026-02-01T00:00:00.000Z' }),
      row({ message_id: 'other', request_id: 'x' }),
    ];

    const kept = await run(copies, (source) => `${firstReceived(source)} ORDER BY message_id`);

    expect(kept.map((r) => [r.message_id, r.request_id])).toEqual([
      ['m', 'first'],
      ['other', 'x'],
    ]);
    expect(kept[0]).toMatchObject({
      timestamp: '2026-01-01 08:00:00',
      event_date: '2026-01-01',
      properties: '{"plan":"pro"}',
      context: '{"ip":"1.2.3.4"}',
      traits: null,
    });
  });

  it('takes event_date from the line, or from dt for lines landed before it existed', async () => {
    const kept = await run(
      [
        row({ message_id: 'new' }),
        row({ message_id: 'old', event_date: undefined as never, dt: '2020-05-05' }),
      ],
      (source) => `SELECT message_id, event_date FROM (${source}) ORDER BY 1`,
    );

    expect(kept).toEqual([
      { message_id: 'new', event_date: '2026-01-01' },
      { message_id: 'old', event_date: '2020-05-05' },
    ]);
  });
});

describe('the canned questions', () => {
  it('are one SQL text for both engines, only the table names differ', () => {
    for (const question of Object.values(QUESTIONS)) {
      const local = question((n) => n, { customer: 'acme', since: '2026-11-01' });
      const athena = question((n) => `"db"."${n}"`, { customer: 'acme', since: '2026-11-01' });

      expect(athena.replace(/"db"\."(\w+)"/g, '$1')).toBe(local);
      expect(local).toContain("'acme'");
    }
  });
});
