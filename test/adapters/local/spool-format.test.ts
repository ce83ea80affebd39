import { crc32 } from 'node:zlib';
import {
  decodeSpoolSegment,
  encodeSpoolRecord,
  type SpooledRecord,
} from '../../../adapters/local/spool-format';

const record = (i: number, customerId = 'acme'): SpooledRecord => ({
  area: 'events',
  customerId,
  dt: '2026-01-01',
  data: Buffer.from(`${JSON.stringify({ message_id: `m-${i}`, n: i })}\n`),
});

/** 20 records back to back, and where each starts. */
function segment() {
  const records = Array.from({ length: 20 }, (_, i) => record(i));
  const parts = records.map(encodeSpoolRecord);
  const starts: number[] = [];
  let at = 0;
  for (const part of parts) {
    starts.push(at);
    at += part.length;
  }
  return { records, bytes: Buffer.concat(parts), starts, parts };
}

describe('spool format: every intact record, nothing damaged', () => {
  it('reads back what it wrote', () => {
    const { records, bytes } = segment();

    expect(decodeSpoolSegment(bytes)).toEqual({ records, skipped: [] });
  });

  it('skips a record with a damaged header, length or payload byte, and keeps every other one', () => {
    const { records, bytes, starts, parts } = segment();
    const damaged = Buffer.from(bytes);
    damaged[starts[4]! + 4] ^= 0x01; // a header byte (in the area name) of record 5
    const lengthAt = parts[8]!.indexOf(' 2026-01-01 ') + ' 2026-01-01 '.length;
    damaged[starts[8]! + lengthAt] = '9'.charCodeAt(0); // the length of record 9
    damaged[starts[13]! + parts[13]!.indexOf('{') + 5] ^= 0x20; // a payload byte of record 14

    const { records: intact, skipped } = decodeSpoolSegment(damaged);

    expect(intact).toEqual(records.filter((_, i) => ![4, 8, 13].includes(i)));
    expect(skipped.map((s) => s.start)).toEqual([starts[4], starts[8], starts[13]]);
  });

  it('skips a record whose customer id would leave the lake, even with a correct checksum', () => {
    const data = '{"message_id":"evil"}\n';
    const fields = `events ../../../../x 2026-01-01 ${Buffer.byteLength(data)}`;
    const checksum = crc32(data, crc32(`${fields}\n`))
      .toString(16)
      .padStart(8, '0');
    const evil = Buffer.from(`S2 ${fields} ${checksum}\n${data}`);

    const decoded = decodeSpoolSegment(
      Buffer.concat([encodeSpoolRecord(record(1)), evil, encodeSpoolRecord(record(2))]),
    );

    expect(decoded.records).toEqual([record(1), record(2)]);
    expect(decoded.skipped).toHaveLength(1);
  });

  it('reports a record cut short at the end, and returns the complete ones before it', () => {
    const { records, bytes, starts } = segment();

    const decoded = decodeSpoolSegment(bytes.subarray(0, starts[19]! + 30));

    expect(decoded.records).toEqual(records.slice(0, 19));
    expect(decoded.skipped).toEqual([{ start: starts[19], end: starts[19]! + 30 }]);
  });

  it('never returns a record from random garbage', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 200; round++) {
      const garbage = Buffer.from(Array.from({ length: 400 }, () => random() % 256));
      garbage.write('S2 events acme 2026-01-01 10 0000abcd\n', random() % 300);
      expect(decodeSpoolSegment(garbage).records).toEqual([]);
    }
  });

  it('still reads a segment written before the checksum (an upgrade with a full spool)', () => {
    const legacy = Buffer.from(
      'R events acme 2026-01-01 20\n{"message_id":"old"}R events acme 2026-01-01 99\n{"cut',
    );

    const decoded = decodeSpoolSegment(legacy);

    expect(decoded.records).toEqual([
      { area: 'events', customerId: 'acme', dt: '2026-01-01', data: Buffer.from('{"message_id":"old"}') },
    ]);
    expect(decoded.skipped).toHaveLength(1);
  });
});
