import { type LakeLine, packRecords } from '../../lambdas/core/lake/pack-records';

const line = (customerId: string, dt: string, n: number, size = 100): LakeLine => ({
  area: 'events',
  customerId,
  dt,
  spreadKey: `m-${n}`,
  json: JSON.stringify({ n, pad: 'x'.repeat(size) }),
});

describe('packRecords', () => {
  it('puts the lines of one partition into one record, as JSON lines', () => {
    const records = packRecords([line('a', '2026-01-01', 1), line('a', '2026-01-01', 2)], 1024 * 1024);

    expect(records).toHaveLength(1);
    expect(records[0]!.count).toBe(2);
    expect(
      records[0]!.data
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).n),
    ).toEqual([1, 2]);
    expect(records[0]!.data.endsWith('\n')).toBe(true);
  });

  it('never mixes partitions or areas in one record', () => {
    const lines = [
      line('a', '2026-01-01', 1),
      line('b', '2026-01-01', 2),
      line('a', '2026-01-02', 3),
      { ...line('a', '2026-01-01', 4), area: 'quarantine' as const },
    ];

    const records = packRecords(lines, 1024 * 1024);

    expect(records.map((r) => `${r.area}/${r.customerId}/${r.dt}`).sort()).toEqual([
      'events/a/2026-01-01',
      'events/a/2026-01-02',
      'events/b/2026-01-01',
      'quarantine/a/2026-01-01',
    ]);
  });

  it('keeps every record within the byte limit and loses no line', () => {
    const lines = Array.from({ length: 100 }, (_, n) => line('a', '2026-01-01', n, 900));

    const records = packRecords(lines, 10 * 1024);

    expect(
      records.every((r) => Buffer.byteLength(r.data) <= 10 * 1024 && r.bytes === Buffer.byteLength(r.data)),
    ).toBe(true);
    expect(records.reduce((sum, r) => sum + r.count, 0)).toBe(100);
  });

  it('spreads partition keys by message id so one customer does not pin one shard', () => {
    const records = packRecords(
      Array.from({ length: 10 }, (_, n) => line('busy', '2026-01-01', n, 900)),
      2 * 1024,
    );

    expect(new Set(records.map((r) => r.partitionKey)).size).toBe(records.length);
    expect(records.every((r) => r.partitionKey.length <= 256)).toBe(true);
  });
});
