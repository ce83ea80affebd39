import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSpoolRecord } from '../../../adapters/local/spool-format';
import { SpoolingLakeSink } from '../../../adapters/local/spooling-lake-sink';
import { type LakeLine, packRecords } from '../../../domain/core/lake/pack-records';
import { readLake } from '../../../local/read-lake';
import { eventually } from '../../support/eventually';
import { createPinnedClock, lakeLineJson } from '../../support/factories';
import { type FileFaults, faultyFiles } from '../../support/faulty-files';
import { recordingLogger } from '../../support/recording-logger';

const line = (id: string, pad = 0): LakeLine => ({
  area: 'events',
  customerId: 'acme',
  dt: '2026-01-01',
  spreadKey: id,
  json: lakeLineJson('events', id, { pad: 'x'.repeat(pad) }),
});

describe('the spool never acknowledges what it did not store', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'spool-faults-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function sinkWith(faults: FileFaults) {
    const files = faultyFiles(faults);
    const { logger, lines } = recordingLogger();
    const sink = new SpoolingLakeSink({
      dataDir,
      logger,
      clock: createPinnedClock(),
      flushIntervalMs: 60_000,
      files,
    });
    await sink.start();
    const put = async (id: string, pad = 0) => {
      const outcomes = await sink.put(packRecords([line(id, pad)], sink.maxRecordBytes));
      return outcomes.every((o) => o.ok);
    };
    const landedIds = () => readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id);
    return { sink, files, put, landedIds, lines };
  }

  it('refuses a record the disk stored only part of, cuts it back, and lands only whole records', async () => {
    const { sink, files, put, landedIds } = await sinkWith({});

    expect(await put('before')).toBe(true);
    files.faults = { spaceLeft: 100 }; // the next record is ~240 KB: a short write, then ENOSPC
    expect(await put('short', 240_000)).toBe(false);
    files.faults = {}; // space returns
    // A full disk stops new writes until landing has run and the reserve is back.
    expect(await put('refused meanwhile')).toBe(false);
    await sink.flush();
    expect(await put('after')).toBe(true);
    await sink.close();

    expect(landedIds()).toEqual(['before', 'after']);
    expect(existsSync(join(dataDir, 'spool', 'damaged'))).toBe(false);
  });

  it('refuses on ENOSPC and on a failed sync (EIO), and acknowledges again once the disk recovers', async () => {
    const { sink, files, put, landedIds } = await sinkWith({ spaceLeft: 0 });

    expect(await put('full')).toBe(false);
    files.faults = {};
    await sink.flush(); // the reserve, which did not fit at start, is set aside: writes are taken again
    files.faults = { syncFails: true };
    expect(await put('eio')).toBe(false);
    files.faults = {};
    expect(await put('ok')).toBe(true);
    await sink.close();

    expect(landedIds()).toEqual(['ok']);
  });

  it('seals a segment it cannot cut back; the torn tail is kept aside and nothing unacknowledged lands whole', async () => {
    const { sink, files, put, landedIds, lines } = await sinkWith({});

    expect(await put('first')).toBe(true);
    files.faults = { spaceLeft: 5_000, truncateFails: true };
    expect(await put('torn', 20_000)).toBe(false);
    files.faults = {};
    await sink.flush();
    expect(await put('next')).toBe(true);
    await sink.close();

    expect(landedIds().sort()).toEqual(['first', 'next']);
    // The segment, kept with its ledger companion.
    expect(readdirSync(join(dataDir, 'spool', 'damaged')).map((f) => f.replace(/^.*\./, ''))).toEqual([
      'ledger',
      'spool',
    ]);
    expect(lines.some((l) => l.level === 'warn' && l.fields?.recoveredRecords === 1)).toBe(true);
  });

  it('keeps a segment it cannot land yet, without crashing, refuses new records meanwhile, and lands it when space returns', async () => {
    const { sink, files, put, landedIds, lines } = await sinkWith({});
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(await put('waits')).toBe(true);
      files.faults = { landingFails: true };

      await expect(sink.flush()).rejects.toThrow(/ENOSPC/);
      (sink as unknown as { flushInBackground(): void }).flushInBackground();
      await eventually(
        () => lines.filter((l) => l.message.startsWith('landing failed')).length,
        (n) => n > 0,
      );
      // While landing cannot make room, new records are refused (503: Segment resends them)...
      expect(await put('meanwhile')).toBe(false);
      expect(landedIds()).toEqual([]);
      files.faults = {};
      // ...and taken again once landing has drained the spool and the reserve is back.
      await sink.flush();
      expect(await put('meanwhile')).toBe(true);
      await sink.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    expect(unhandled).toEqual([]);
    expect(landedIds().sort()).toEqual(['meanwhile', 'waits']);
    expect(lines.filter((l) => l.message.startsWith('landing failed'))).toHaveLength(1);
    expect(readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.spool'))).toEqual([]);
  });

  it('removes temporary files a killed landing left, at start', async () => {
    mkdirSync(join(dataDir, 'tmp'), { recursive: true });
    writeFileSync(join(dataDir, 'tmp', 'local-x.gz.123.1.tmp'), '');
    const { sink } = await sinkWith({});

    await sink.close();

    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
  });

  it('lands every intact record of a damaged segment, keeps the segment aside and says so', async () => {
    mkdirSync(join(dataDir, 'spool'), { recursive: true });
    const parts = Array.from({ length: 20 }, (_, i) =>
      encodeSpoolRecord({
        area: 'events',
        customerId: 'acme',
        dt: '2026-01-01',
        data: `${lakeLineJson('events', `r-${i}`)}\n`,
      }),
    );
    parts[4]![5] ^= 0x01; // header
    parts[12]![parts[12]!.length - 3] ^= 0x01; // payload
    writeFileSync(join(dataDir, 'spool', 'local-damaged-000001.spool'), Buffer.concat(parts));

    const { sink, landedIds, lines } = await sinkWith({});
    await sink.close();

    // r-4's header is damaged but its line is whole: salvaged. r-12's line itself is broken: kept aside.
    expect(landedIds().sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `r-${i}`)
        .filter((id) => id !== 'r-12')
        .sort(),
    );
    expect(readdirSync(join(dataDir, 'spool', 'damaged'))).toEqual(['local-damaged-000001.spool']);
    const warning = lines.find((l) => l.level === 'warn')!;
    expect(warning.fields).toMatchObject({
      recoveredRecords: 18,
      salvagedLines: 1,
      unreadableLines: 1,
      skippedRanges: 2,
      keptAt: join('spool', 'damaged', 'local-damaged-000001.spool'),
    });
  });
});
