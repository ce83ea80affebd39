import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSpoolSegment, encodeSpoolRecord, salvageLines } from '../../adapters/local/spool-format';
import { SpoolingLakeSink } from '../../adapters/local/spooling-lake-sink';
import { systemClock } from '../../adapters/system/clock';
import { silentLogger } from '../../adapters/system/json-logger';
import { readLake } from '../../local/read-lake';
import { lakeLineJson } from '../support/factories';

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
