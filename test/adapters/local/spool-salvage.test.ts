import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { decodeSpoolSegment, encodeSpoolRecord, salvageLines } from '../../../adapters/local/spool-format';
import { SpoolingLakeSink } from '../../../adapters/local/spooling-lake-sink';
import { systemClock } from '../../../adapters/system/clock';
import { silentLogger } from '../../../adapters/system/json-logger';
import { readLake } from '../../../local/read-lake';
import { lakeLineJson } from '../../support/factories';

/** One record of 100 event lines with one byte flipped in line 50, as a segment a crash left behind. */
function damagedSegment(flip: (line: string) => string): { bytes: Buffer; ids: string[] } {
  const ids = Array.from({ length: 100 }, (_, i) => `m-${i}`);
  const lines = ids.map((id) => lakeLineJson('events', id));
  const record = encodeSpoolRecord({
    area: 'events',
    customerId: 'acme',
    dt: '2026-01-01',
    data: `${lines.join('\n')}\n`,
  });
  const text = record.toString('utf8');
  const at = text.indexOf(lines[50]!);
  const damaged = text.slice(0, at) + flip(lines[50]!) + text.slice(at + lines[50]!.length);
  const intact = encodeSpoolRecord({
    area: 'events',
    customerId: 'acme',
    dt: '2026-01-01',
    data: `${lakeLineJson('events', 'after')}\n`,
  });
  return { bytes: Buffer.concat([Buffer.from(damaged), intact]), ids };
}

// A flipped quote: the line is no longer JSON, so it cannot be told whole.
const breakJson = (line: string) => line.replace('"message_id"', '"message_id\u0001');

describe('salvaging the intact lines of a damaged spool record', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'salvage-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finds the 99 whole lines around a flipped byte, and leaves the broken one', () => {
    const { bytes } = damagedSegment(breakJson);
    const decoded = decodeSpoolSegment(bytes);
    expect(decoded.records).toHaveLength(1); // the record after the damage
    const salvaged = salvageLines(bytes, decoded.skipped);
    expect(salvaged.lines).toBe(99);
    expect(salvaged.unreadable).toBe(1);
    expect(
      salvaged.records.every((r) => r.area === 'events' && r.customerId === 'acme' && r.dt === '2026-01-01'),
    ).toBe(true);
  });

  it('lands them when the spool is recovered, keeps the segment for inspection, and salvaging again adds nothing', async () => {
    const { bytes, ids } = damagedSegment(breakJson);
    mkdirSync(join(dataDir, 'spool'), { recursive: true });
    writeFileSync(join(dataDir, 'spool', 'local-20260101T000000000Z-1-000001.spool'), bytes);
    const sink = new SpoolingLakeSink({
      dataDir,
      logger: silentLogger,
      clock: systemClock,
      flushIntervalMs: 60_000,
    });
    await sink.start();
    const landed = () => readLake(join(dataDir, 'lake'), 'events').map((l) => String(l.record.message_id));
    expect(new Set(landed())).toEqual(new Set([...ids.filter((id) => id !== 'm-50'), 'after']));
    expect(readdirSync(join(dataDir, 'spool', 'damaged'))).toHaveLength(1);
    // npm run redrive -- --salvage over spool/damaged/: the same files, rewritten.
    expect(await sink.salvageDamaged()).toEqual({ segments: 1, lines: 99, unreadable: 1 });
    expect(landed()).toHaveLength(100);
    await sink.close();
  });

  it('lands nothing that is not a whole lake line of its schema (a line without its customer)', () => {
    const { bytes } = damagedSegment((line) => line.replace('"customer_id":"acme"', '"customer_id":"../x"'));
    const decoded = decodeSpoolSegment(bytes);
    const salvaged = salvageLines(bytes, decoded.skipped);
    expect(salvaged.lines).toBe(99);
    expect(salvaged.records.some((r) => r.customerId !== 'acme')).toBe(false);
  });
});

describe('a salvaged line is the line that was acknowledged', () => {
  // A flipped bit that leaves the line valid: "m-50" becomes "M-50" (0x6d ^ 0x20).
  const changeId = (line: string) => line.replace('"m-50"', '"M-50"');

  it('keeps aside a line whose bit flip still parses and fits the schema: its checksum is not listed', () => {
    const { bytes } = damagedSegment(changeId);
    const decoded = decodeSpoolSegment(bytes);
    const salvaged = salvageLines(bytes, decoded.skipped);

    expect(salvaged.lines).toBe(99);
    expect(salvaged.unreadable).toBe(1);
    const landed = salvaged.records.map((r) => JSON.parse(r.data.toString()).message_id as string);
    expect(landed).not.toContain('M-50');
    expect(landed).not.toContain('m-50');
  });

  it('salvages nothing from a record whose header (and so its line checksums) is damaged', () => {
    const { bytes } = damagedSegment((line) => line);
    const damaged = Buffer.from(bytes);
    damaged[5] = 0x20; // inside the area name of the first header
    const decoded = decodeSpoolSegment(damaged);
    const salvaged = salvageLines(damaged, decoded.skipped);

    expect(decoded.records).toHaveLength(1); // the intact record after it
    expect(salvaged.lines).toBe(0);
    expect(salvaged.unreadable).toBe(100);
  });

  it("reads the last release's records (S2, no line checksums) and salvages them by schema as before", () => {
    const lines = ['m-1', 'm-2', 'm-3'].map((id) => lakeLineJson('events', id));
    const data = Buffer.from(`${lines.join('\n')}\n`);
    const s2 = (payload: Buffer) => {
      const fields = `events acme 2026-01-01 ${payload.length}`;
      const checksum = crc32(payload, crc32(`${fields}\n`))
        .toString(16)
        .padStart(8, '0');
      return Buffer.concat([Buffer.from(`S2 ${fields} ${checksum}\n`), payload]);
    };
    expect(decodeSpoolSegment(s2(data)).records.map((r) => r.data.toString())).toEqual([data.toString()]);
    const damaged = s2(data);
    damaged[damaged.indexOf('"m-2"') + 2] = 0x4d; // m-2 → M-2: the last release cannot tell
    const decoded = decodeSpoolSegment(damaged);
    expect(salvageLines(damaged, decoded.skipped).lines).toBe(3);
  });
});
