import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonLogger } from '../../adapters/system/json-logger';
import { duckdbReadCurated } from '../../domain/contract/sql/duckdb-lake-sql';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { curatedFiles } from '../../local/read-lake';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { createPinnedClock, createTrackMessage } from '../support/factories';
import { makeToken, post, tempDataDir } from '../support/local-destination';

describe('a curated table an earlier version partitioned by day', () => {
  it('is rebuilt by month from the landing zone at the next compaction, and is not read until then', async () => {
    const dataDir = tempDataDir('compact-days-');
    const lake = join(dataDir, 'lake');
    try {
      const { token } = await makeToken(dataDir, 'acme');
      const destination = await startLocalServer({
        dataDir,
        port: 0,
        logger: jsonLogger('compact'),
        clock: createPinnedClock(),
        flushIntervalMs: 600_000,
      });
      const batch = ['2025-01-01', '2025-01-02', '2025-02-01'].map((day, i) =>
        createTrackMessage({ messageId: `d-${i}`, timestamp: `${day}T12:00:00Z` }),
      );
      expect((await post(`${destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
      await destination.close();
      const clean = await runCompaction({ lakeRoot: lake });
      const expected = await curatedRows(lake);
      // The earlier layout: a day directory per event date, and the state that says all was taken.
      const month = join(lake, 'curated/events/customer_id=acme/event_month=2025-01');
      const day = join(lake, 'curated/events/customer_id=acme/event_date=2025-01-01');
      mkdirSync(day, { recursive: true });
      renameSync(join(month, 'data.parquet'), join(day, 'data.parquet'));
      rmSync(month, { recursive: true });
      // Not read meanwhile: the view and the file list name month partitions only.
      expect(curatedFiles(lake).map((f) => relative(lake, f))).toEqual([
        'curated/events/customer_id=acme/event_month=2025-02/data.parquet',
      ]);

      const report = await runCompaction({ lakeRoot: lake });

      expect(report).toMatchObject({
        rebuiltDayPartitions: 1,
        objectsTaken: clean.objectsSeen,
        curatedFiles: 2,
      });
      expect(existsSync(day)).toBe(false);
      expect(await curatedRows(lake)).toEqual(expected);
      expect(await runCompaction({ lakeRoot: lake })).toMatchObject({
        rebuiltDayPartitions: 0,
        objectsTaken: 0,
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Every curated row, as text, in a stable order: two tables are the same when these are equal. */
async function curatedRows(lake: string): Promise<string[]> {
  const files = curatedFiles(lake);
  if (files.length === 0) return [];
  const db = await DuckDBInstance.create(':memory:');
  const duck = await db.connect();
  try {
    const rows = (
      await duck.runAndReadAll(
        `SELECT customer_id, CAST(event_date AS VARCHAR) AS d, message_id, request_id, CAST(received_at AS VARCHAR) AS r, event, properties FROM ${duckdbReadCurated(files)} ORDER BY ALL`,
      )
    ).getRowObjectsJson();
    return rows.map((r) => JSON.stringify(r));
  } finally {
    duck.closeSync();
    db.closeSync();
  }
}

/** Each file's path and modification time: a run that changes nothing leaves these as they were. */
const snapshot = (lake: string) =>
  curatedFiles(lake).map((f) => `${relative(lake, f)}@${statSync(f).mtimeMs}`);

describe('compaction into the curated table (DuckDB over the local lake)', () => {
  let dataDir: string;
  let lake: string;
  let destination: LocalDestination;
  const sent = new Map<string, { customer: string; day: string }>();
  let firstReport: Awaited<ReturnType<typeof runCompaction>>;

  beforeAll(async () => {
    dataDir = tempDataDir('compact-');
    lake = join(dataDir, 'lake');
    const tokens = {
      acme: (await makeToken(dataDir, 'acme')).token,
      beta: (await makeToken(dataDir, 'beta')).token,
    };
    let now = Date.parse('2026-03-10T23:59:00Z');
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('compact'),
      clock: { ...createPinnedClock(now), now: () => now },
      flushIntervalMs: 600_000,
    });
    // Events over many event dates, received over two receive days; then a Replay-like resend of some
    // of them a day later (same messageIds), and a batch with a messageId twice.
    for (let i = 0; i < 60; i++) {
      const customer = i % 3 === 0 ? 'beta' : 'acme';
      const day = `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
      const messageId = `m-${i}`;
      sent.set(messageId, { customer, day });
      const message = createTrackMessage({
        messageId,
        event: 'sign_up',
        timestamp: `${day}T12:00:00Z`,
        properties: { i },
      });
      expect(
        (
          await post(
            `${destination.url}/v1/batch`,
            { batch: [message] },
            tokens[customer as keyof typeof tokens],
          )
        ).status,
      ).toBe(200);
      if (i === 30) {
        now += 120_000; // the receive day turns
        await destination.flush();
      }
    }
    await destination.flush();
    now += 86_400_000;
    const resend = [...sent].slice(0, 20).map(([messageId, { day }]) =>
      createTrackMessage({
        messageId,
        event: 'Sign Up',
        timestamp: `${day}T12:00:00Z`,
        properties: { resent: true },
      }),
    );
    expect(
      (
        await post(
          `${destination.url}/v1/batch`,
          { batch: resend.filter((_, i) => i % 3 !== 0) },
          tokens.acme,
        )
      ).status,
    ).toBe(200);
    await destination.flush();
    // The first compaction; each test below starts from what it made, in any order.
    firstReport = await runCompaction({ lakeRoot: lake });
  });
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every accepted event exactly once, the first received, by customer and event date', async () => {
    const report = firstReport;

    // The rows of the events sent before it (a later test lands one more, for another customer).
    const rows = (await curatedRows(lake)).map((r) => JSON.parse(r)).filter((r) => sent.has(r.message_id));
    expect(rows).toHaveLength(sent.size);
    for (const row of rows) {
      expect(sent.get(row.message_id)).toEqual({ customer: row.customer_id, day: row.d });
      // First received wins: the resend (properties.resent) never replaces the original.
      expect(JSON.parse(row.properties)).toEqual({ i: Number(row.message_id.slice(2)) });
      expect(row.event).toBe('Signed Up');
    }
    expect(report).toMatchObject({ objectsTaken: report.objectsSeen, linesRead: sent.size + 13 });
    // One file per partition: a customer's month of event dates.
    const partitions = new Set([...sent.values()].map((s) => `${s.customer}/${s.day.slice(0, 7)}`));
    expect(report.curatedFiles).toBe(partitions.size);
    expect(partitions.size).toBeLessThan(
      new Set([...sent.values()].map((s) => `${s.customer}/${s.day}`)).size,
    );
    // Each file's rows in event-time order, so row-group statistics skip days.
    const db = await DuckDBInstance.create(':memory:');
    const duck = await db.connect();
    for (const file of curatedFiles(lake)) {
      const [order] = (
        await duck.runAndReadAll(
          `SELECT count(*) AS n, count(*) FILTER (WHERE event_date < prev_date OR (event_date = prev_date AND "timestamp" < prev_ts)) AS out_of_order
FROM (SELECT event_date, "timestamp", lag(event_date) OVER w AS prev_date, lag("timestamp") OVER w AS prev_ts
  FROM read_parquet('${file}', file_row_number = true) WINDOW w AS (ORDER BY file_row_number))`,
        )
      ).getRowObjectsJson();
      expect(order).toEqual({ n: expect.any(String), out_of_order: '0' });
    }
    duck.closeSync();
    db.closeSync();
  });

  it('changes no file when run again', async () => {
    const before = snapshot(lake);
    const report = await runCompaction({ lakeRoot: lake });

    expect(report.objectsTaken).toBe(0);
    expect(snapshot(lake)).toEqual(before);
  });

  it('takes an object landed late into a day already compacted, rewriting only its partitions', async () => {
    const before = new Map(snapshot(lake).map((s) => s.split('@') as [string, string]));
    const token = (await makeToken(dataDir, 'gamma')).token;
    const late = createTrackMessage({ messageId: 'late-1', timestamp: '2025-01-01T08:00:00Z' });
    expect((await post(`${destination.url}/v1/batch`, { batch: [late] }, token)).status).toBe(200);
    await destination.flush();

    const report = await runCompaction({ lakeRoot: lake });

    expect(report).toMatchObject({ objectsTaken: 1, partitionsRewritten: 1 });
    const after = new Map(snapshot(lake).map((s) => s.split('@') as [string, string]));
    const changed = [...after].filter(([file, mtime]) => before.get(file) !== mtime).map(([file]) => file);
    expect(changed).toEqual(['curated/events/customer_id=gamma/event_month=2025-01/data.parquet']);
  });

  it.each(['read', 'staged', 'partition', 'before-state', 'after-state'] as const)(
    'killed at %s, the next run ends in the same table',
    async (point) => {
      // A copy of the lake before any compaction, compacted once cleanly and once with a kill.
      const clean = tempDataDir('compact-clean-');
      const killed = tempDataDir('compact-killed-');
      try {
        for (const dir of [clean, killed]) {
          cpSync(join(lake, 'events'), join(dir, 'events'), { recursive: true });
        }
        await runCompaction({ lakeRoot: clean });
        let hits = 0;
        await expect(
          runCompaction({
            lakeRoot: killed,
            maxObjectsPerRound: 2,
            crashPoint: (at) => {
              // The second time the point is reached: some work is done, some is not.
              if (at === point && ++hits === 2) throw new Error(`killed at ${at}`);
            },
          }),
        ).rejects.toThrow(`killed at ${point}`);

        await runCompaction({ lakeRoot: killed });

        expect(await curatedRows(killed)).toEqual(await curatedRows(clean));
        expect(readFileSync(join(killed, 'curated/_state/taken-objects.json'), 'utf8')).toBe(
          readFileSync(join(clean, 'curated/_state/taken-objects.json'), 'utf8'),
        );
      } finally {
        rmSync(clean, { recursive: true, force: true });
        rmSync(killed, { recursive: true, force: true });
      }
    },
  );
});
