import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { SpoolingLakeSink } from '../../adapters/local/spooling-lake-sink';
import { systemClock } from '../../adapters/system/clock';
import { silentLogger } from '../../adapters/system/json-logger';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { localCompleteness } from '../../local/completeness';
import { readLake } from '../../local/read-lake';
import { localLakeStore } from '../../scripts/redrive/lake-store';
import { runRedrive } from '../../scripts/redrive/run-redrive';
import { createFakeClock, createTrackMessage } from '../support/factories';
import { tempDataDir } from '../support/local-destination';
import { MemorySink } from '../support/memory/memory-sink';

/**
 * Some records fail in "Firehose" (they land in errors/ as Firehose writes them), a quarantined message
 * has become valid; the redrive puts both back, and running it again adds nothing.
 */
describe('npm run redrive, against the local lake', () => {
  let dataDir: string;
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('recovers failed records and now-valid quarantined messages, once', async () => {
    dataDir = tempDataDir('redrive-');
    const lakeRoot = join(dataDir, 'lake');
    const memory = new MemorySink();
    const messages = [
      ...Array.from({ length: 5 }, (_, i) =>
        createTrackMessage({ messageId: `ok-${i}`, timestamp: '2026-11-01T10:00:00.000Z' }),
      ),
      ...Array.from({ length: 5 }, (_, i) =>
        createTrackMessage({ messageId: `failed-${i}`, timestamp: '2026-11-02T10:00:00.000Z' }),
      ),
    ];
    await ingestRequest(
      {
        body: JSON.stringify(messages),
        customerId: 'acme',
        requestId: 'req-redrive-test',
        aliases: new Map(),
      },
      {
        sink: memory,
        clock: createFakeClock(),
        retry: { budgetMs: 100, baseDelayMs: 1, maxDelayMs: 1, retryAfterSeconds: 1, throttleBudgetMs: 100 },
        limits: DEFAULT_LIMITS,
        logger: silentLogger,
      },
    );
    // One record carries all ten events (one receive date); "Firehose" delivers the ok-* lines and
    // fails the failed-* ones, whose records land in its error output.
    const split = (keep: (line: string) => boolean) =>
      memory.acknowledged.map((r) => {
        const data = r.data
          .toString('utf8')
          .split('\n')
          .filter((l) => l && (r.area !== 'events' || keep(l)));
        const bytes = Buffer.from(data.map((l) => `${l}\n`).join(''));
        return { ...r, data: bytes, bytes: bytes.length, count: data.length };
      });
    const delivered = split((l) => !l.includes('"failed-')).filter((r) => r.count > 0);
    const failed = split((l) => l.includes('"failed-')).filter((r) => r.area === 'events' && r.count > 0);
    const sink = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });
    await sink.start();
    await sink.put(delivered);
    await sink.close();
    const errorRecords = failed.flatMap((r) =>
      r.data
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) =>
          JSON.stringify({
            errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded',
            errorMessage: 'limit',
            rawData: Buffer.from(line).toString('base64'),
          }),
        ),
    );
    mkdirSync(join(lakeRoot, 'errors/activePartitionExceeded/2026/11/02'), { recursive: true });
    writeFileSync(
      join(lakeRoot, 'errors/activePartitionExceeded/2026/11/02/part-1.gz'),
      gzipSync(`${errorRecords.join('\n')}\n`),
    );
    // A message quarantined by an older, stricter rule that today's validation accepts.
    const fixed = createTrackMessage({ messageId: 'fixed-1', timestamp: '2026-11-03T10:00:00.000Z' });
    mkdirSync(join(lakeRoot, 'quarantine/customer_id=acme/dt=2026-11-03'), { recursive: true });
    const entry = {
      schema_version: 1,
      customer_id: 'acme',
      dt: '2026-11-03',
      received_at: '2026-11-03T10:00:01.000Z',
      index: 0,
      message_id: 'fixed-1',
      reason: { code: 'invalid_field', message: 'old rule' },
      raw: fixed,
    };
    writeFileSync(
      join(lakeRoot, 'quarantine/customer_id=acme/dt=2026-11-03/old.gz'),
      gzipSync(`${JSON.stringify(entry)}\n`),
    );
    const ids = () =>
      readLake(lakeRoot, 'events')
        .map((l) => l.record.message_id as string)
        .sort();
    expect(ids()).toEqual(['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4']);

    const redrive = async () => {
      const redriveSink = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });
      await redriveSink.start();
      const report = await runRedrive(localLakeStore(lakeRoot), redriveSink, new FileTokenStore(dataDir));
      await redriveSink.close();
      return report;
    };
    const report = () => localCompleteness(lakeRoot);
    expect((await report()).map((r) => r.missing)).toEqual([5]); // the five in errors/ are missing until redriven
    const first = await redrive();
    const afterFirst = ids();
    const second = await redrive();

    expect(first).toMatchObject({ errorObjects: 1, errorLines: 5, quarantineNowValid: 1 });
    expect(afterFirst).toEqual([...messages.map((m) => m.messageId as string), 'fixed-1'].sort());
    expect(second).toMatchObject({ errorObjects: 0, quarantineNowValid: 0, quarantineAlreadyRedriven: 1 });
    expect(ids()).toEqual(afterFirst);
    // The ledger stays exact: errors/ records keep their request id; redriven quarantine gets its own line.
    expect((await report()).reduce((sum, r) => sum + r.missing + r.surplus, 0)).toBe(0);
    expect(
      readLake(lakeRoot, 'ledger')
        .filter((l) => l.record.source === 'redrive')
        .map((l) => l.record.accepted),
    ).toEqual([1]);
    // Redriven into its original receive-date partition, with its own event date as a column.
    const redriven = readLake(lakeRoot, 'events').find((l) => l.record.message_id === 'failed-0')!;
    expect(redriven.key).toMatch(/^events\/customer_id=acme\/received_dt=2026-11-28\//);
    expect(redriven.record.dt).toBe('2026-11-02');
  });
});
