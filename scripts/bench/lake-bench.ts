import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { lakeObjectKey } from '../../adapters/local/lake-layout';
import { silentLogger } from '../../adapters/system/json-logger';
import { CURATED_MONTH, eventMonth } from '../../domain/contract/curated-table';
import { customerLandingPrefix } from '../../domain/contract/lake-areas';
import { duckdbAreaView, duckdbCuratedView } from '../../domain/contract/sql/duckdb-lake-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import type { PutOutcome, RecordSink } from '../../domain/core/common/ports';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { DEFAULT_RETRY_POLICY } from '../../domain/core/ingest/deliver';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { FIREHOSE_MAX_RECORD_BYTES } from '../../domain/core/lake/pack-records';
import { curatedFiles, lakeObjectKeys } from '../../local/read-lake';
import { runCompaction } from '../compact/run-compaction';

interface LakeQueryRow {
  query: string;
  landingMs: number;
  curatedMs: number;
  landingBytesRead: number;
  curatedBytesRead: number;
  /** Both engines gave the same answer (the landing side de-duplicates, the curated side need not). */
  sameAnswer: boolean;
}

export interface LakeBenchResult {
  events: number;
  customers: number;
  landing: { files: number; bytes: number };
  curated: { files: number; bytes: number; medianPartitionBytes: number; smallestPartitionBytes: number };
  seedSeconds: number;
  compactSeconds: number;
  queries: LakeQueryRow[];
}

// The seeded lake: a Replay-like history. 20 customers, skewed (the largest has a third of the events),
// event times over the past 365 days, received over 30 days through the real ingest core, one landing
// object per customer per receive hour (what a 60 s Firehose buffer gives a mid-size customer, in
// fewer, larger files), 2 % of messages re-sent in a later request.
const CUSTOMERS = 20;
const RECEIVE_DAYS = 30;
const HISTORY_DAYS = 365;
const RESEND_SHARE = 0.02;
const NOW = Date.parse('2026-11-01T00:00:00Z');
const EVENTS = [
  'Product Viewed',
  'product_viewed',
  'Product Added',
  'Checkout Started',
  'Order Completed',
  'Signed Up',
];

/** The ingest core's ports for a bench: its sink, a clock it sets, never a wait, no logs. */
export function benchIngestDeps(sink: RecordSink, now: () => number, random: () => number) {
  return {
    sink,
    clock: {
      now,
      sleep: async () => {},
      random,
      timer: () => ({ fired: new Promise<void>(() => undefined), cancel: () => undefined }),
    },
    retry: DEFAULT_RETRY_POLICY,
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  };
}

/**
 * Seeds `<root>/events/…` with `events` events through the core, as the server would land them.
 *
 * @internal
 */
export async function seedLandingLake(root: string, events: number, seed = 11): Promise<void> {
  const random = seededRandom(seed);
  const weights = Array.from({ length: CUSTOMERS }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const customerOf = () => {
    let r = random() * total;
    for (let i = 0; i < CUSTOMERS; i++) {
      r -= weights[i]!;
      if (r <= 0) return `bench-${i}`;
    }
    return `bench-${CUSTOMERS - 1}`;
  };
  // Lines per landing object: (customer, receive hour) → JSON lines.
  const objects = new Map<string, string[]>();
  let receivedAt = 0;
  const sink: RecordSink = {
    maxRecordBytes: FIREHOSE_MAX_RECORD_BYTES,
    put: async (records) => {
      const hour = new Date(receivedAt).toISOString().slice(0, 13).replace(/[-T:]/g, '');
      for (const r of records) {
        if (r.area !== 'events') continue;
        const key = lakeObjectKey('events', r.customerId, r.dt, `bench-${hour}`);
        const lines = objects.get(key) ?? [];
        lines.push(r.data.toString('utf8'));
        objects.set(key, lines);
      }
      return records.map((): PutOutcome => ({ ok: true }));
    },
  };
  const deps = benchIngestDeps(sink, () => receivedAt, random);
  const resend: Record<string, unknown>[] = [];
  for (let sent = 0, request = 0; sent < events; request++) {
    const customerId = customerOf();
    const size = Math.min(100, events - sent);
    receivedAt = NOW + Math.floor(random() * RECEIVE_DAYS * 86_400_000);
    const batch = Array.from({ length: size }, (_, i) => {
      const user = Math.floor(random() * 5_000);
      const message = {
        type: 'track',
        event: EVENTS[Math.floor(random() * random() * EVENTS.length)],
        messageId: `${customerId}-${request}-${i}`,
        userId: `u-${user}`,
        anonymousId: `a-${user}`,
        timestamp: new Date(NOW - Math.floor(random() * HISTORY_DAYS * 86_400_000)).toISOString(),
        properties: { price: Math.round(random() * 10_000) / 100, sku: `sku-${Math.floor(random() * 500)}` },
        context: { library: { name: 'analytics.js', version: 'next-1.70.0' }, page: { path: '/pricing' } },
      };
      if (random() < RESEND_SHARE) resend.push(message);
      return message;
    });
    sent += size;
    await ingestRequest(
      { body: JSON.stringify({ batch }), customerId, requestId: `seed-${request}`, aliases: new Map() },
      deps,
    );
  }
  // The resends, a few days later, as a Replay would send them again.
  for (let i = 0; i < resend.length; i += 100) {
    receivedAt = NOW + (RECEIVE_DAYS + 1) * 86_400_000 + i;
    const batch = resend.slice(i, i + 100);
    const customerId = String(batch[0]!.messageId).replace(/-\d+-\d+$/, '');
    await ingestRequest(
      {
        body: JSON.stringify({
          batch: batch.filter((m) => String(m.messageId).startsWith(`${customerId}-`)),
        }),
        customerId,
        requestId: `resend-${i}`,
        aliases: new Map(),
      },
      deps,
    );
  }
  for (const [key, chunks] of objects) {
    const path = join(root, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(chunks.join('')));
  }
}

/** Three questions analysts ask of one customer, against the landing zone and the curated table. */
const SINCE = '2026-10-01';
function questions(customer: string) {
  const since = SINCE;
  // Landing rows must be de-duplicated first (Replays resend); curated rows are one per message.
  const landing = `(SELECT DISTINCT ON (message_id) * FROM events WHERE customer_id = '${customer}')`;
  const curated = `(SELECT * FROM events_curated WHERE customer_id = '${customer}')`;
  return [
    {
      query: 'events by day, one customer, 30 days',
      // The curated columns the query reads from the files (customer_id comes from the path).
      columns: ['event_date'],
      sql: (t: string) =>
        `SELECT CAST(${t === 'landing' ? 'CAST(event_date AS DATE)' : 'event_date'} AS VARCHAR) AS d, count(*) AS n FROM ${t === 'landing' ? landing : curated} e WHERE ${t === 'landing' ? 'CAST(event_date AS DATE)' : 'event_date'} >= DATE '${since}' GROUP BY 1 ORDER BY 1`,
    },
    {
      query: 'funnel Product Viewed → Order Completed, 30 days',
      columns: ['user_id', 'event', 'timestamp', 'event_date'],
      sql: (t: string) => {
        const date = t === 'landing' ? 'CAST(event_date AS DATE)' : 'event_date';
        const source = t === 'landing' ? landing : curated;
        return `WITH v AS (SELECT user_id, min(timestamp) AS at FROM ${source} e WHERE event = 'Product Viewed' AND ${date} >= DATE '${since}' GROUP BY 1),
o AS (SELECT user_id, min(timestamp) AS at FROM ${source} e WHERE event = 'Order Completed' AND ${date} >= DATE '${since}' GROUP BY 1)
SELECT count(*) AS viewed, count(o.user_id) AS ordered FROM v LEFT JOIN o ON o.user_id = v.user_id AND o.at > v.at`;
      },
    },
    {
      query: 'distinct users, one customer, 30 days',
      columns: ['user_id', 'event_date'],
      sql: (t: string) =>
        `SELECT count(DISTINCT user_id) AS users FROM ${t === 'landing' ? landing : curated} e WHERE ${t === 'landing' ? 'CAST(event_date AS DATE)' : 'event_date'} >= DATE '${since}'`,
    },
  ];
}

/** A Parquet file's footer and magic: its last 8 bytes give the footer's length. */
function parquetFooterBytes(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, statSync(file).size - 8);
    return tail.readUInt32LE(0) + 8;
  } finally {
    closeSync(fd);
  }
}

const sizeOf = (files: string[]) => files.reduce((sum, f) => sum + statSync(f).size, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `npm run bench -- --only lake`: the same seeded events as landing JSON and as the curated table,
 * side by side in one run: bytes and files on disk, and time and bytes read (DuckDB's own count) for
 * three typical queries.
 */
export async function benchLake(
  events: number,
  onStep: (step: string) => void = () => {},
): Promise<LakeBenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'bench-lake-'));
  try {
    onStep(`seeding ${events.toLocaleString('en-US')} events through the core`);
    let started = performance.now();
    await seedLandingLake(root, events);
    const seedSeconds = (performance.now() - started) / 1000;
    onStep('compacting');
    started = performance.now();
    await runCompaction({ lakeRoot: root });
    const compactSeconds = (performance.now() - started) / 1000;
    const landingFiles = lakeObjectKeys(root, 'events').map((k) => join(root, k));
    const curated = curatedFiles(root);
    const partitionSizes = curated.map((f) => statSync(f).size);

    onStep('querying');
    // The landing side reads only the customer's own landing partitions, as Athena's partition
    // projection would; the curated side prunes by customer and event date from the paths.
    const db = await DuckDBInstance.create(':memory:', { temp_directory: join(root, 'duckdb-tmp') });
    const duck = await db.connect();
    const customerFiles = lakeObjectKeys(root, 'events')
      .filter((k) => k.startsWith(customerLandingPrefix('events', 'bench-0')))
      .map((k) => join(root, k));
    await duck.run(duckdbAreaView('events', customerFiles));
    await duck.run(duckdbCuratedView(root, true));
    // Bytes read, as each engine must read them. Landing: every object of the customer, whole (gzip
    // JSON has no columns to skip, and its partitions are receive days, not event days). Curated: in
    // the customer's months from the date's on, each file's footer and, in the row groups whose
    // event_date statistics reach the date, the column chunks the query uses, from the files' own
    // metadata. (DuckDB's profiling counter reported 0 for Parquet here: not used.)
    const landingBytes = sizeOf(customerFiles);
    const monthDir = new RegExp(`customer_id=bench-0/${CURATED_MONTH.column}=(\\d{4}-\\d{2})/`);
    const inRange = curated.filter((f) => {
      const m = monthDir.exec(f);
      return m !== null && m[1]! >= eventMonth(SINCE);
    });
    const chunkBytes = new Map<string, number>();
    const metadata = `parquet_metadata([${inRange.map(literal).join(', ')}])`;
    for (const row of (
      await duck.runAndReadAll(
        `WITH reached AS (SELECT file_name, row_group_id FROM ${metadata} WHERE path_in_schema = ${literal(CURATED_MONTH.of)} AND CAST(stats_max AS DATE) >= DATE ${literal(SINCE)})
SELECT path_in_schema AS c, sum(total_compressed_size) AS b FROM ${metadata} JOIN reached USING (file_name, row_group_id) GROUP BY 1`,
      )
    ).getRowObjectsJson())
      chunkBytes.set(String(row.c), Number(row.b));
    const footers = inRange.reduce((sum, f) => sum + parquetFooterBytes(f), 0);
    const curatedBytesFor = (columns: string[]) =>
      footers + columns.reduce((sum, c) => sum + (chunkBytes.get(c) ?? 0), 0);
    const queries: LakeQueryRow[] = [];
    for (const q of questions('bench-0')) {
      const measure = async (side: string) => {
        const times: number[] = [];
        let answer = '';
        for (let run = 0; run < 3; run++) {
          const t0 = performance.now();
          answer = JSON.stringify((await duck.runAndReadAll(q.sql(side))).getRowObjectsJson());
          times.push(performance.now() - t0);
        }
        return {
          ms: median(times),
          bytes: side === 'landing' ? landingBytes : curatedBytesFor(q.columns),
          answer,
        };
      };
      const landing = await measure('landing');
      const curatedSide = await measure('curated');
      queries.push({
        query: q.query,
        landingMs: landing.ms,
        curatedMs: curatedSide.ms,
        landingBytesRead: landing.bytes,
        curatedBytesRead: curatedSide.bytes,
        sameAnswer: landing.answer === curatedSide.answer,
      });
    }
    duck.closeSync();
    db.closeSync();
    return {
      events,
      customers: CUSTOMERS,
      landing: { files: landingFiles.length, bytes: sizeOf(landingFiles) },
      curated: {
        files: curated.length,
        bytes: sizeOf(curated),
        medianPartitionBytes: median(partitionSizes),
        smallestPartitionBytes: Math.min(...partitionSizes),
      },
      seedSeconds,
      compactSeconds,
      queries,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
