import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSpoolRecord } from '../../../adapters/local/spool-format';
import { SpoolingLakeSink } from '../../../adapters/local/spooling-lake-sink';
import { systemClock } from '../../../adapters/system/clock';
import { silentLogger } from '../../../adapters/system/json-logger';
import { type LakeLine, packRecords } from '../../../domain/core/lake/pack-records';
import { readLake } from '../../../local/read-lake';
import { eventually } from '../../support/eventually';
import { lakeLineJson } from '../../support/factories';

const line = (
  customerId: string,
  dt: string,
  id: string,
  area: 'events' | 'quarantine' = 'events',
): LakeLine => ({
  area,
  customerId,
  dt,
  spreadKey: id,
  json: lakeLineJson(area, id, { customerId }),
});

describe('SpoolingLakeSink', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sink-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('acknowledges records once spooled, and lands them in partitioned gzip files on flush', async () => {
    const sink = new SpoolingLakeSink({
      dataDir,
      logger: silentLogger,
      clock: systemClock,
      flushIntervalMs: 60_000,
    });
    await sink.start();
    const records = packRecords(
      [
        line('acme', '2026-01-01', 'a'),
        line('acme', '2026-01-02', 'b'),
        line('beta', '2026-01-01', 'c'),
        line('acme', '2026-01-01', 'q', 'quarantine'),
      ],
      sink.maxRecordBytes,
    );

    const outcomes = await Promise.all([sink.put(records.slice(0, 2)), sink.put(records.slice(2))]);
    await sink.close();

    expect(outcomes.flat()).toEqual(records.map(() => ({ ok: true })));
    const events = readLake(join(dataDir, 'lake'), 'events');
    expect(
      events.map((l) => `${l.key.split('/').slice(0, 3).join('/')} ${l.record.message_id}`).sort(),
    ).toEqual([
      'events/customer_id=acme/received_dt=2026-01-01 a',
      'events/customer_id=acme/received_dt=2026-01-02 b',
      'events/customer_id=beta/received_dt=2026-01-01 c',
    ]);
    expect(readLake(join(dataDir, 'lake'), 'quarantine').map((l) => l.record.message_id)).toEqual(['q']);
    expect(readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.spool'))).toEqual([]);
  });

  it('lands what a crashed run left in the spool, ignoring a half-written last record', async () => {
    mkdirSync(join(dataDir, 'spool'), { recursive: true });
    const spooled = (id: string) =>
      encodeSpoolRecord({
        area: 'events',
        customerId: 'acme',
        dt: '2026-01-01',
        data: `${lakeLineJson('events', id)}\n`,
      });
    const cut = spooled('z').subarray(0, 30);
    writeFileSync(
      join(dataDir, 'spool', 'local-crashed-000001.spool'),
      Buffer.concat([spooled('x'), spooled('y'), cut]),
    );
    const sink = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });

    const recovered = await sink.start();
    await sink.close();

    expect(recovered).toBe(1);
    expect(readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id)).toEqual(['x', 'y']);
  });

  it('does not duplicate when a segment is landed twice (crash between landing and deleting it)', async () => {
    mkdirSync(join(dataDir, 'spool'), { recursive: true });
    const segment = encodeSpoolRecord({
      area: 'events',
      customerId: 'acme',
      dt: '2026-01-01',
      data: `${lakeLineJson('events', 'x')}\n`,
    });
    writeFileSync(join(dataDir, 'spool', 'local-seg-000001.spool'), segment);
    const first = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });
    await first.start();
    await first.close();
    writeFileSync(join(dataDir, 'spool', 'local-seg-000001.spool'), segment);

    const second = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });
    await second.start();
    await second.close();

    expect(readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id)).toEqual(['x']);
  });

  it('flushes on its own interval, like a Firehose buffer', async () => {
    const sink = new SpoolingLakeSink({
      dataDir,
      logger: silentLogger,
      clock: systemClock,
      flushIntervalMs: 100,
    });
    await sink.start();

    await sink.put(packRecords([line('acme', '2026-01-01', 'timed')], sink.maxRecordBytes));
    const landed = await eventually(
      () => readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id),
      (ids) => ids.length > 0,
    );

    expect(landed).toEqual(['timed']);
    await sink.close();
  });
});
