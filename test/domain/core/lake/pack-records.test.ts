import {
  FIREHOSE_MAX_RECORD_BYTES,
  type LakeLine,
  MAX_LINES_PER_RECORD,
  packRecords,
} from '../../../../domain/core/lake/pack-records';

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
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).n),
    ).toEqual([1, 2]);
    expect(records[0]!.data.at(-1)).toBe(0x0a);
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

    expect(records.every((r) => r.data.length <= 10 * 1024 && r.bytes === r.data.length)).toBe(true);
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

describe('packRecords, encoding', () => {
  it('encodes every line exactly once as UTF-8, multi-byte characters and buffer growth included', () => {
    // Lines of 3-byte (—) and 4-byte (😀) characters, larger than the working buffer's first 64 KiB,
    // between ASCII ones: each must come out whole, and `bytes` must be the UTF-8 size.
    const texts = ['plain', '—'.repeat(30_000), 'x', '😀'.repeat(20_000), `${'a'.repeat(70_000)}é`, 'end'];
    const lines = texts.map(
      (pad, n): LakeLine => ({ ...line('a', '2026-01-01', n, 0), json: JSON.stringify({ n, pad }) }),
    );

    const records = packRecords(lines, FIREHOSE_MAX_RECORD_BYTES);
    const text = records.map((r) => r.data.toString('utf8')).join('');

    expect(text).toBe(lines.map((l) => `${l.json}\n`).join(''));
    expect(records.every((r) => r.bytes === r.data.length)).toBe(true);
    expect(records.reduce((sum, r) => sum + r.bytes, 0)).toBe(Buffer.byteLength(text));
  });

  it('writes a line given in two parts (an event’s head and its message) as one: head, message, `}`', () => {
    // Messages of 3-byte (—) and 4-byte (😀) characters and a lone surrogate, across record boundaries
    // and the working buffer's growth, between whole lines: the bytes must be those of the joined line.
    const messages = [
      '{}',
      `{"t":"${'—'.repeat(30_000)}"}`,
      `{"e":"${'😀'.repeat(20_000)}"}`,
      '{"l":"\ud800"}',
    ];
    const parts = messages.map(
      (message, n): LakeLine => ({ ...line('a', '2026-01-01', n, 0), json: `{"n":${n},"message":`, message }),
    );
    const lines = [line('a', '2026-01-01', 8), ...parts, line('a', '2026-01-01', 9)];
    const maxBytes = 100 * 1024;

    const records = packRecords(lines, maxBytes);

    const joined = lines.map((l) => (l.message === undefined ? l.json : `${l.json}${l.message}}`));
    // Compared whole (a diff of 170 KB of bytes would take minutes to print).
    expect(Buffer.concat(records.map((r) => r.data)).equals(Buffer.from(`${joined.join('\n')}\n`))).toBe(
      true,
    );
    expect(records.length).toBeGreaterThan(1);
    expect(records.every((r) => r.bytes === r.data.length && r.bytes <= maxBytes)).toBe(true);
    expect(records.map((r) => r.count).reduce((a, b) => a + b)).toBe(lines.length);
  });

  it('gives each record its own bytes: a later call does not change an earlier record', () => {
    const before = packRecords([line('a', '2026-01-01', 1)], FIREHOSE_MAX_RECORD_BYTES)[0]!;
    const copy = Buffer.from(before.data);

    packRecords([line('a', '2026-01-01', 2, 5_000)], FIREHOSE_MAX_RECORD_BYTES);

    expect(before.data.equals(copy)).toBe(true);
  });

  it('keeps every record of many calls intact, across the working memory’s refills', () => {
    // 300 calls of ~1 KB lines and ~20 KB ones fill the working memory many times over; every record
    // kept from the first call on must still hold its own line.
    const lines = Array.from({ length: 300 }, (_, n) =>
      line('a', '2026-01-01', n, n % 7 === 0 ? 20_000 : 1_000),
    );

    const records = lines.map((l) => packRecords([l], FIREHOSE_MAX_RECORD_BYTES)[0]!);

    expect(records.map((r) => r.data.toString('utf8'))).toEqual(lines.map((l) => `${l.json}\n`));
    expect(records.every((r) => r.bytes === r.data.length)).toBe(true);
  });
});

describe('packRecords, at Firehose limits', () => {
  it('closes a record at 500 lines, Firehose’s de-aggregation limit, however small the lines', () => {
    const lines = Array.from({ length: 1_001 }, (_, i) => line('a', '2026-01-01', i, 1));

    const records = packRecords(lines, 1_000 * 1024);

    expect(records.map((r) => r.count)).toEqual([MAX_LINES_PER_RECORD, MAX_LINES_PER_RECORD, 1]);
    expect(records.map((r) => r.data.toString('utf8').split('\n').filter(Boolean).length)).toEqual([
      500, 500, 1,
    ]);
  });

  it('keeps a record exactly at 1,000 KiB, and starts a new one a byte later', () => {
    // Two lines that fill 1,000 KiB exactly (with their newlines), then one byte more.
    const half = FIREHOSE_MAX_RECORD_BYTES / 2;
    const sized = (n: number, bytes: number): LakeLine => {
      const base = JSON.stringify({ n, pad: '' }).length + 1; // + newline
      return { ...line('a', '2026-01-01', n, 0), json: JSON.stringify({ n, pad: 'x'.repeat(bytes - base) }) };
    };

    const exact = packRecords([sized(1, half), sized(2, half)], 1024 * 1024);
    const over = packRecords([sized(1, half), sized(2, half + 1)], 1024 * 1024);

    expect(exact.map((r) => r.bytes)).toEqual([FIREHOSE_MAX_RECORD_BYTES]);
    expect(over.map((r) => r.bytes)).toEqual([half, half + 1]);
  });

  it('never makes a record larger than Firehose takes, even for a sink that allows more (Kinesis)', () => {
    const lines = Array.from({ length: 30 }, (_, i) => line('a', '2026-01-01', i, 100_000));

    const records = packRecords(lines, 1024 * 1024);

    expect(Math.max(...records.map((r) => r.bytes))).toBeLessThanOrEqual(FIREHOSE_MAX_RECORD_BYTES);
  });
});
