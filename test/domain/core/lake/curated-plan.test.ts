import { AWS_QUOTAS } from '../../../../domain/contract/aws-quotas';
import {
  type DayRows,
  itemMonths,
  stagingManifestKey,
  stagingRunPrefix,
} from '../../../../domain/contract/curated-table';
import { ATHENA_RULES } from '../../../../domain/contract/sql/athena-rules';
import {
  commitItem,
  finishRun,
  MAX_OBJECTS_PER_RUN,
  type ObjectLog,
  ObjectLogFull,
  packRun,
  stageRun,
} from '../../../../domain/core/lake/compaction-run';
import {
  MAX_DAYS_PER_MERGE,
  MAX_ROWS_PER_MERGE,
  packMergeItems,
} from '../../../../domain/core/lake/curated-plan';
import { memoryCompaction } from '../../../support/memory-compaction';

const day = (n: number) => new Date(Date.UTC(2021, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
/** When a test run packs: a fixed instant, so a backlog batch's createdAt and window are known. */
const T_PACK = Date.parse('2026-11-28T10:05:00.000Z');

describe('packing a run’s days into MERGE statements', () => {
  it('keeps every statement within Athena’s 100 partitions (customer × month), and every day in exactly one', () => {
    const partitions: DayRows[] = [];
    // 150 customers, each with the last day of a month and the first of the next: 300 partitions.
    for (let c = 0; c < 150; c++)
      for (const eventDate of ['2026-10-31', '2026-11-01'])
        partitions.push({ customerId: `c${String(c).padStart(3, '0')}`, eventDate, rows: 5 });

    const items = packMergeItems(partitions);

    expect(Math.max(...items.map((i) => itemMonths(i).length))).toBe(
      ATHENA_RULES.partitionsPerStatement.limit,
    );
    expect(items.flatMap((i) => i.days).length).toBe(partitions.length);
    for (const item of items)
      expect(new Set(item.days.map((p) => p.customerId))).toEqual(new Set(item.customers));
  });

  it('counts a month once, however many of its days an item names', () => {
    const month = Array.from({ length: 31 }, (_, d) => ({ customerId: 'a', eventDate: day(d), rows: 1 }));
    const items = packMergeItems(month);
    expect(items).toHaveLength(1);
    expect(itemMonths(items[0]!)).toEqual([{ customerId: 'a', month: '2021-01' }]);
  });

  it('names at most MAX_DAYS_PER_MERGE days in a statement, so its text stays within Athena’s limit', () => {
    const years = Array.from({ length: 3 * 365 }, (_, d) => ({
      customerId: 'a',
      eventDate: day(d),
      rows: 1,
    }));
    const items = packMergeItems(years);
    expect(items.map((i) => i.days.length)).toEqual([
      MAX_DAYS_PER_MERGE,
      MAX_DAYS_PER_MERGE,
      3 * 365 - 2 * MAX_DAYS_PER_MERGE,
    ]);
  });

  it('live traffic: 2,000 customers with one event date each make 20 statements an hour', () => {
    const live = Array.from({ length: 2_000 }, (_, i) => ({
      customerId: `c${i}`,
      eventDate: '2026-11-28',
      rows: 833,
    }));
    expect(packMergeItems(live)).toHaveLength(20);
  });

  it('a Replay backlog: 200 customers × 5 years of event dates make 730 statements', () => {
    const backlog: DayRows[] = [];
    for (let c = 0; c < 200; c++)
      for (let d = 0; d < 1_825; d++) backlog.push({ customerId: `r${c}`, eventDate: day(d), rows: 20_000 });

    const items = packMergeItems(backlog);

    // 365,000 days of 20,000 rows: 500 days (~17 months, 10 M rows) per statement (with a day a
    // partition, 100 days a statement: 3,650).
    expect(items).toHaveLength(730);
    expect(Math.max(...items.map((i) => i.rows))).toBeLessThanOrEqual(MAX_ROWS_PER_MERGE);
  });

  it('merges rows dated by sentAt in items of their own, marked to be looked up by id', () => {
    const items = packMergeItems([
      { customerId: 'a', eventDate: '2026-11-28', rows: 5 },
      { customerId: 'a', eventDate: '2026-11-29', rows: 1, byId: true },
      ...Array.from({ length: 150 }, (_, i) => ({
        customerId: `b${String(i).padStart(3, '0')}`,
        eventDate: '2026-11-28',
        rows: 1,
        byId: true,
      })),
    ]);

    expect(items.map((i) => [i.byId ?? false, i.days.length, i.customers.length])).toEqual([
      [false, 1, 1],
      [true, 100, 100],
      [true, 51, 51],
    ]);
  });

  it('splits by rows as well, so no statement outgrows Athena’s 30 minutes', () => {
    const heavy = Array.from({ length: 10 }, (_, d) => ({
      customerId: 'big',
      eventDate: day(d),
      rows: 9_000_000,
    }));
    const items = packMergeItems(heavy);
    expect(items.map((i) => i.days.length)).toEqual([2, 2, 2, 2, 2]);
  });
});

describe('a compaction run’s steps (object log, staging, packing, finishing)', () => {
  function memory() {
    const queue = [
      'events/customer_id=acme/received_dt=2026-11-28/a.json.gz',
      'events/customer_id%3Dacme/received_dt%3D2026-11-28/b.json.gz', // URL-encoded, as S3 may send
      'events/customer_id=globex/received_dt=2026-11-27/c.json.gz',
      'quarantine/customer_id=_all/received_dt=2026-11-28/q.json.gz', // not for the curated table
      undefined, // a message that is not an S3 event
    ].map((key, i) => ({ key, receipt: `r${i}` }));
    return memoryCompaction(queue, ['"acme","2026-11-28","2","false"', '"globex","2026-11-20","1","false"']);
  }

  it('stages each customer’s new objects as a manifest, then packs MERGEs, then removes what it took', async () => {
    const { log, run, files, removed } = memory();

    const staged = await stageRun('run-1', 'lake', log, run);
    const packed = await packRun('run-1', 'db', '11111111-1111-4111-8111-111111111111', run, log, T_PACK);
    const items = JSON.parse(files.get(packed.itemsKey)!);
    // Each customer's own statements, for the case the item's MERGE fails: in a file of the run's.
    const alone = JSON.parse(files.get(items[0].aloneKey)!);
    // The item commits: the messages of the customers it merged whole leave the log at once.
    const committed = await commitItem('run-1', items[0].commits, log, run);
    const finished = await finishRun('run-1', log, run);

    expect(staged).toEqual({ runId: 'run-1', objects: 5, customers: ['acme', 'globex'], backlogBatches: 0 });
    expect(items).toHaveLength(1);
    expect(items[0].merge).toContain(`IN (('acme', DATE '2026-11-28'), ('globex', DATE '2026-11-20'))`);
    expect(items[0].commits).toEqual(['acme', 'globex']);
    expect(
      alone.map((a: { customerId: string; merge: string }) => [a.customerId, a.merge.includes('globex')]),
    ).toEqual([
      ['acme', false],
      ['globex', true],
    ]);
    expect(committed).toEqual({ removed: 3 });
    // The rest (objects outside events/) at the end.
    expect(finished).toEqual({ removed: 2, parked: [], backlogDaysMerged: 0 });
    expect(removed.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect([...files.keys()]).toEqual([]);
  });

  it('every item and every customer-alone entry fits a Step Functions state’s 256 KiB input, at 100 customers of 64 characters', async () => {
    const { log, run, files } = memory();
    const customers = Array.from({ length: ATHENA_RULES.partitionsPerStatement.limit }, (_, i) =>
      `c${String(i).padStart(3, '0')}`.padEnd(64, 'x'),
    );
    // Five days each: 500, the most days a MERGE names, in 100 partitions, the most it writes.
    run.queryResult = async () =>
      `"customer_id","event_date","row_count","sent_at_dated"\n${customers
        .flatMap((c) => [1, 2, 3, 4, 5].map((d) => `"${c}","2026-11-0${d}","1000","false"`))
        .join('\n')}\n`;
    await stageRun('run-max', 'lake', log, run);
    const packed = await packRun('run-max', 'db', '11111111-1111-4111-8111-111111111111', run, log, T_PACK);
    const items = JSON.parse(files.get(packed.itemsKey)!) as { aloneKey: string }[];
    expect(items).toHaveLength(1);
    const limit = AWS_QUOTAS.stepFunctionsPayloadBytes;
    for (const item of items) {
      // The item as its child execution gets it (the lease's holder and fence added).
      expect(
        Buffer.byteLength(JSON.stringify({ ...item, holder: 'x'.repeat(80), fence: '99' })),
      ).toBeLessThan(limit);
      const alone = JSON.parse(files.get(item.aloneKey)!) as unknown[];
      expect(alone).toHaveLength(customers.length);
      for (const entry of alone) expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThan(limit);
      // All of them together would not fit: hence the file.
      expect(Buffer.byteLength(JSON.stringify(alone))).toBeGreaterThan(limit);
    }
  });

  it('a parked customer keeps its messages in the log; a customer several items merged leaves at the end', async () => {
    const { log, run, removed } = memory();
    await stageRun('run-p', 'lake', log, run);
    await packRun('run-p', 'db', '11111111-1111-4111-8111-111111111111', run, log, T_PACK);
    // acme's MERGE failed even alone: the item commits globex only, and the run parks acme.
    await commitItem('run-p', ['globex'], log, run);
    expect(await finishRun('run-p', log, run, ['acme'])).toEqual({
      removed: 2,
      parked: ['acme'],
      backlogDaysMerged: 0,
    });
    expect(removed.sort()).toEqual(['r2', 'r3', 'r4']);
    expect(removed).not.toContain('r0');
    expect(removed).not.toContain('r1');
  });

  it('a customer two items merge is committed by neither: its messages leave at the run’s end', async () => {
    const { log, run, files, removed } = memory();
    // acme has rows dated by sentAt too: merged by id in an item of their own.
    run.queryResult = async () =>
      '"customer_id","event_date","row_count","sent_at_dated"\n"acme","2026-11-28","2","false"\n"acme","2026-11-27","1","true"\n"globex","2026-11-20","1","false"\n';
    await stageRun('run-s', 'lake', log, run);
    const packed = await packRun('run-s', 'db', '11111111-1111-4111-8111-111111111111', run, log, T_PACK);
    const items = JSON.parse(files.get(packed.itemsKey)!) as { commits: string[] }[];
    expect(items.map((i) => i.commits)).toEqual([['globex'], []]);
    for (const item of items) await commitItem('run-s', item.commits, log, run);
    expect(removed.sort()).toEqual(['r2']);
    expect(await finishRun('run-s', log, run)).toEqual({ removed: 4, parked: [], backlogDaysMerged: 0 });
    expect(removed.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('finishes a run the last release staged (a flat list of receipts): every message leaves, as it did', async () => {
    const { log, run, files, removed } = memory();
    files.set(`${stagingRunPrefix('run-old')}_receipts.json`, JSON.stringify(['r7', 'r8']));
    expect(await finishRun('run-old', log, run)).toEqual({ removed: 2, parked: [], backlogDaysMerged: 0 });
    expect(removed).toEqual(['r7', 'r8']);
  });

  it('stops receiving at the log’s in-flight limit (OverLimit) and stages what it took', async () => {
    const { run } = memory();
    let served = 0;
    const full: ObjectLog = {
      receive: async (max) => {
        if (served >= 30) throw new ObjectLogFull('at the in-flight limit');
        return Array.from({ length: max }, () => ({
          key: `events/customer_id=acme/received_dt=2026-11-28/o-${served}.gz`,
          receipt: `r${served++}`,
        }));
      },
      remove: async () => undefined,
    };

    expect(await stageRun('run-full', 'lake', full, run)).toEqual({
      runId: 'run-full',
      objects: 30,
      customers: ['acme'],
      backlogBatches: 0,
    });
  });

  it('takes at most MAX_OBJECTS_PER_RUN, below SQS’s ~120,000 messages in flight', async () => {
    const { run } = memory();
    let served = 0;
    const endless: ObjectLog = {
      receive: async (max) =>
        Array.from({ length: max }, () => ({ key: undefined, receipt: `r${served++}` })),
      remove: async () => undefined,
    };

    expect(MAX_OBJECTS_PER_RUN).toBeLessThanOrEqual(100_000);
    expect((await stageRun('run-cap', 'lake', endless, run)).objects).toBe(MAX_OBJECTS_PER_RUN);
  });

  it('lists each object once per manifest, as the s3:// URL the staging table reads', async () => {
    const { log, run, files } = memory();
    await stageRun('run-2', 'lake', log, run);

    expect(files.get(stagingManifestKey('run-2', 'acme'))).toBe(
      's3://lake/events/customer_id=acme/received_dt=2026-11-28/a.json.gz\ns3://lake/events/customer_id=acme/received_dt=2026-11-28/b.json.gz\n',
    );
  });

  it('refuses a plan result without the columns it packs by', async () => {
    const { log, run } = memory();
    await stageRun('run-4', 'lake', log, run);
    run.queryResult = async () => '"customer_id","event_date","row_count"\n"acme","2026-11-28","2"\n';

    await expect(
      packRun('run-4', 'db', '11111111-1111-4111-8111-111111111111', run, log, T_PACK),
    ).rejects.toThrow('expected customer_id, event_date, row_count, sent_at_dated');
  });

  it('refuses a broken partition listing rather than ack objects it never merged', async () => {
    const { log, run } = memory();
    await stageRun('run-3', 'lake', log, run);
    run.queryResult = async () =>
      '"customer_id","event_date","row_count","sent_at_dated"\n"acme","","2","false"\n';

    await expect(
      packRun('run-3', 'db', '11111111-1111-4111-8111-111111111111', run, log, T_PACK),
    ).rejects.toThrow('unexpected staged partition row');
  });
});
