import {
  BACKLOG_PREFIX,
  type BacklogBatch,
  backlogBatchKey,
} from '../../../../domain/contract/curated-backlog';
import { stagingManifestKey } from '../../../../domain/contract/curated-table';
import { ATHENA_RULES } from '../../../../domain/contract/sql/athena-rules';
import {
  BACKLOG_LANE,
  backlogDrain,
  chooseBacklog,
  isBacklog,
  MERGE_CONCURRENCY,
} from '../../../../domain/core/lake/backlog-lane';
import { commitItem, finishRun, packRun, stageRun } from '../../../../domain/core/lake/compaction-run';
import { memoryCompaction } from '../../../support/memory-compaction';
import { synthStack } from '../../../support/stack';

const day = (n: number) => new Date(Date.UTC(2021, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
const T0 = Date.parse('2026-11-28T10:05:00.000Z');
const QUERY = '11111111-1111-4111-8111-111111111111';

const batch = (
  customerId: string,
  createdAt: string,
  days: number,
  objects = [`s3://lake/${customerId}`],
): BacklogBatch => ({
  version: 1,
  customerId,
  createdAt,
  objects,
  pending: Array.from({ length: days }, (_, i) => ({ eventDate: day(i), rows: 10, byId: false })),
});

describe('the backlog lane: which customers, how many MERGEs a run, how long a Replay takes', () => {
  it('sends a customer to the backlog when its run brings more days or rows than live traffic does', () => {
    const days = (n: number, rows = 100) =>
      Array.from({ length: n }, (_, i) => ({ eventDate: day(i), rows }));
    expect(isBacklog(days(BACKLOG_LANE.liveMaxDays))).toBe(false);
    expect(isBacklog(days(BACKLOG_LANE.liveMaxDays + 1))).toBe(true);
    expect(isBacklog(days(2, BACKLOG_LANE.liveMaxRows / 2))).toBe(false);
    expect(isBacklog(days(2, BACKLOG_LANE.liveMaxRows))).toBe(true);
  });

  it('takes each backlog a bounded share, oldest first, all its batches together', () => {
    // 5 MERGEs' worth each (2,500 days, 500 a MERGE); two batches of "old" share one customer.
    const batches = [
      { key: 'k-new', batch: batch('new', '2026-11-28T09:00:00.000Z', 2_500) },
      { key: 'k-old-1', batch: batch('old', '2026-11-27T09:00:00.000Z', 2_500, ['s3://lake/o1']) },
      { key: 'k-old-2', batch: batch('old', '2026-11-28T08:00:00.000Z', 10, ['s3://lake/o2']) },
      { key: 'k-mid', batch: batch('mid', '2026-11-27T12:00:00.000Z', 2_500) },
    ];
    const chosen = chooseBacklog(batches, { itemsPerRun: 10, itemsPerCustomer: 4 });
    expect(chosen.map((c) => [c.customerId, c.items.length])).toEqual([
      ['old', 4],
      ['mid', 4],
      ['new', 2],
    ]);
    expect(chosen[0]).toMatchObject({
      batches: ['k-old-1', 'k-old-2'],
      objects: ['s3://lake/o1', 's3://lake/o2'],
    });
    // The oldest days first, and the two batches' day 0 counted as one.
    expect(chosen[0]!.items[0]!.days[0]).toEqual({ customerId: 'old', eventDate: day(0) });
    expect(chosen[0]!.items[0]!.rows).toBe(10 * 20 + 490 * 10);
    expect(chooseBacklog([])).toEqual([]);
  });

  it('keeps its MERGEs within Athena’s DML concurrency, and its window plus one MERGE within the hour', () => {
    expect(MERGE_CONCURRENCY).toBeLessThanOrEqual(ATHENA_RULES.dmlConcurrency.limit / 2);
    const item = synthStack().template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: { DefinitionString?: unknown } }
    >;
    const definition = JSON.stringify(
      Object.entries(item).find(
        ([id, r]) => id.startsWith('CuratedStateMachine') && r.Type === 'AWS::StepFunctions::StateMachine',
      )![1].Properties.DefinitionString,
    );
    expect(definition).toContain(`\\"MaxConcurrency\\":${MERGE_CONCURRENCY}`);
    // A backlog MERGE starts at most 40 minutes after packing; at the assumed 5 minutes it ends well
    // before the next hourly run (docs/lake.md states the ~15-minute bound this leaves).
    expect(BACKLOG_LANE.windowMs / 60_000 + BACKLOG_LANE.assumedMergeMinutes).toBeLessThanOrEqual(50);
  });

  it('drains a 200-customer × 5-year Replay in a stated time, and keeps the live customers’ run first (docs/lake.md)', () => {
    // 20,000 events a day for 5 years per customer: 1,825 days, 4 MERGEs each (500 days a MERGE).
    expect(backlogDrain({ customers: 200, years: 5, eventsPerDay: 20_000, liveCustomers: 2_000 })).toEqual({
      items: 800,
      itemsPerHour: 12,
      hours: 67,
    });
    expect(backlogDrain({ customers: 200, years: 5, eventsPerDay: 20_000, liveCustomers: 0 })).toEqual({
      items: 800,
      itemsPerHour: 32,
      hours: 25,
    });
  });
});

describe('a run with a Replay beside live customers (object log, batches, items, finish)', () => {
  const memory = (
    rows: string[],
    queue: { key: string; receipt: string }[] = [
      { key: 'events/customer_id=live/received_dt=2026-11-28/a.json.gz', receipt: 'r-live' },
      { key: 'events/customer_id=replay/received_dt=2026-11-28/b.json.gz', receipt: 'r-replay' },
    ],
  ) => memoryCompaction(queue, rows);
  // The Replay: 3,000 days of one customer (6 MERGEs of 500 days); the live customer: today.
  const replayRows = Array.from({ length: 3_000 }, (_, i) => `"replay","${day(i)}","5","false"`);
  const items = (files: Map<string, string>, key: string) =>
    JSON.parse(files.get(key)!) as {
      merge: string;
      commits: string[];
      backlog: { customerId: string; days: string[]; batches: string[] } | null;
      notAfter: number | null;
    }[];

  it('merges the live customer first, sets the Replay aside in a batch, and takes a share of it each run', async () => {
    const { log, run, files, removed } = memory(['"live","2026-11-28","2","false"', ...replayRows]);
    await stageRun('run-1', 'lake', log, run);
    const packed = await packRun('run-1', 'db', QUERY, run, log, T0);
    const batchKey = backlogBatchKey('replay', 'run-1');

    // The Replay's objects and days are in a batch, and its message left the log at once.
    const stored = JSON.parse(files.get(batchKey)!) as BacklogBatch;
    expect(stored).toMatchObject({
      customerId: 'replay',
      createdAt: '2026-11-28T10:05:00.000Z',
      objects: ['s3://lake/events/customer_id=replay/received_dt=2026-11-28/b.json.gz'],
    });
    expect(stored.pending).toHaveLength(3_000);
    expect(removed).toEqual(['r-replay']);
    expect(packed).toMatchObject({ live: 1, backlog: BACKLOG_LANE.itemsPerCustomer, setAside: ['replay'] });

    const all = items(files, packed.itemsKey);
    // Live first, never timed; then the Replay's share, each timed by the window.
    expect(all[0]).toMatchObject({ commits: ['live'], backlog: null, notAfter: null });
    expect(all[0]!.merge).not.toContain("'replay'");
    expect(all.slice(1).map((i) => i.notAfter)).toEqual(Array(4).fill(T0 + BACKLOG_LANE.windowMs));
    expect(all[1]!.backlog).toEqual({
      customerId: 'replay',
      days: Array.from({ length: 500 }, (_, i) => day(i)),
      batches: [batchKey],
    });
    // The MERGE reads the batch's objects through the run's manifest of the customer.
    expect(files.get(stagingManifestKey('run-1', 'replay'))).toBe(`${stored.objects[0]}\n`);

    // Items commit (the third was left past the window, the fourth's customer parked: no note); finish.
    await commitItem('run-1', all[0]!.commits, log, run, all[0]!.backlog);
    await commitItem('run-1', [], log, run, all[1]!.backlog);
    await commitItem('run-1', [], log, run, all[2]!.backlog);
    const finished = await finishRun('run-1', log, run, []);
    expect(finished).toMatchObject({ backlogDaysMerged: 1_000 });
    expect(removed.sort()).toEqual(['r-live', 'r-replay']);
    const left = JSON.parse(files.get(batchKey)!) as BacklogBatch;
    expect(left.pending.map((d) => d.eventDate)).toEqual(
      Array.from({ length: 2_000 }, (_, i) => day(1_000 + i)),
    );
    // The run's own files are gone; the batch stays for the next run.
    expect([...files.keys()]).toEqual([batchKey]);

    // The next run has no new object of the Replay: it takes the next days from the batch, then the last.
    const next = memory([], []);
    for (const [key, body] of files) next.files.set(key, body);
    expect(await stageRun('run-2', 'lake', next.log, next.run)).toMatchObject({
      customers: [],
      backlogBatches: 1,
    });
    const second = await packRun('run-2', 'db', undefined, next.run, next.log, T0 + 3_600_000);
    const secondItems = items(next.files, second.itemsKey);
    expect(secondItems.map((i) => i.backlog?.days[0])).toEqual([
      day(1_000),
      day(1_500),
      day(2_000),
      day(2_500),
    ]);
    for (const item of secondItems) await commitItem('run-2', [], next.log, next.run, item.backlog);
    expect(await finishRun('run-2', next.log, next.run)).toMatchObject({ backlogDaysMerged: 2_000 });
    // Drained: the batch is gone, and with it the lane for this customer.
    expect(next.files.has(batchKey)).toBe(false);
    expect(await next.run.list(BACKLOG_PREFIX)).toEqual([]);
  });

  it('keeps a customer with a backlog in the lane for its new objects too, and names a damaged batch without stopping', async () => {
    const { log, run, files } = memory([
      '"live","2026-11-28","2","false"',
      '"replay","2026-11-28","3","false"',
    ]);
    files.set(
      backlogBatchKey('replay', 'run-0'),
      JSON.stringify(batch('replay', '2026-11-27T10:05:00.000Z', 2)),
    );
    files.set(backlogBatchKey('broken', 'run-0'), '{"version":1,');
    await stageRun('run-1', 'lake', log, run);
    const packed = await packRun('run-1', 'db', QUERY, run, log, T0);
    expect(packed.damagedBatches).toEqual([backlogBatchKey('broken', 'run-0')]);
    // One day of new objects: small, but the customer has a backlog, so it joins it (a new batch).
    expect(packed.setAside).toEqual(['replay']);
    const all = items(files, packed.itemsKey);
    expect(all.map((i) => i.backlog?.customerId ?? i.commits[0])).toEqual(['live', 'replay']);
    expect(all[1]!.backlog!.batches).toEqual([
      backlogBatchKey('replay', 'run-0'),
      backlogBatchKey('replay', 'run-1'),
    ]);
    // Both batches' objects are read: the old one's and the run's new one.
    expect(files.get(stagingManifestKey('run-1', 'replay'))!.trim().split('\n')).toEqual([
      's3://lake/events/customer_id=replay/received_dt=2026-11-28/b.json.gz',
      's3://lake/replay',
    ]);
  });
});
