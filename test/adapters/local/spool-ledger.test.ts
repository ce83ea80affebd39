import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolingLakeSink } from '../../../adapters/local/spooling-lake-sink';
import { DEFAULT_RETRY_POLICY } from '../../../domain/core/ingest/deliver';
import { ingestRequest } from '../../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../../domain/core/ingest/limits';
import { localCompleteness } from '../../../local/completeness';
import { readLake } from '../../../local/read-lake';
import { createPinnedClock } from '../../support/factories';
import { recordingLogger } from '../../support/recording-logger';

/** 20 acknowledged requests of 50 events, spooled and not landed: the state `kill -9` leaves. */
async function spooledRequests(dataDir: string): Promise<{ segment: string; accepted: number }> {
  const clock = createPinnedClock();
  const sink = new SpoolingLakeSink({
    dataDir,
    logger: recordingLogger().logger,
    clock,
    flushIntervalMs: 3_600_000,
  });
  await sink.start();
  let accepted = 0;
  for (let r = 0; r < 20; r++) {
    const batch = Array.from({ length: 50 }, (_, i) => ({
      type: 'track',
      userId: `u${i}`,
      event: 'E',
      messageId: `r${r}-m${i}`,
    }));
    const answer = await ingestRequest(
      {
        body: JSON.stringify({ batch }),
        isBase64Encoded: false,
        customerId: 'acme',
        requestId: `req-${r}`,
        aliases: new Map(),
      },
      { sink, clock, retry: DEFAULT_RETRY_POLICY, limits: DEFAULT_LIMITS, logger: recordingLogger().logger },
    );
    expect(answer.statusCode).toBe(200);
    accepted += 50;
  }
  const segment = readdirSync(join(dataDir, 'spool')).find((f) => f.endsWith('.spool'))!;
  return { segment, accepted };
}

describe('the ledger lives apart from the events it vouches for', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'spool-ledger-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a segment cut to 60 % after it was acknowledged: completeness reports the loss with its count, and the log says so', async () => {
    const { segment, accepted } = await spooledRequests(dataDir);
    const path = join(dataDir, 'spool', segment);
    const size = readFileSync(path).length;
    truncateSync(path, Math.floor(size * 0.6));

    const { logger, lines } = recordingLogger();
    const sink = new SpoolingLakeSink({
      dataDir,
      logger,
      clock: createPinnedClock(),
      flushIntervalMs: 3_600_000,
    });
    await sink.start();
    await sink.close();

    const lake = join(dataDir, 'lake');
    const [row] = await localCompleteness(lake);
    const landed = readLake(lake, 'events').length;
    expect(row).toMatchObject({ requests: 20, accepted });
    expect(landed).toBeLessThan(accepted);
    expect(row!.missing).toBe(accepted - landed);
    const lost = lines.find((l) => l.message.startsWith('acknowledged records lost'));
    // The record the cut went through (its whole lines salvaged), then the bytes that are gone.
    const cut = Math.floor(size * 0.6);
    expect(lost?.fields).toMatchObject({ segment: segment.replace(/\.spool$/, '') });
    const ranges = lost!.fields!.ranges as { start: number; end: number }[];
    expect(ranges.at(-1)).toEqual({ start: cut, end: size });
    expect(ranges[0]!.start).toBeLessThan(cut);
  });

  it('a segment deleted by an operator to free space: every one of its events is reported missing', async () => {
    const { segment, accepted } = await spooledRequests(dataDir);
    unlinkSync(join(dataDir, 'spool', segment));

    const { logger, lines } = recordingLogger();
    const sink = new SpoolingLakeSink({
      dataDir,
      logger,
      clock: createPinnedClock(),
      flushIntervalMs: 3_600_000,
    });
    await sink.start();
    await sink.close();

    const lake = join(dataDir, 'lake');
    const [row] = await localCompleteness(lake);
    expect(row).toMatchObject({ requests: 20, accepted, landed: 0, missing: accepted });
    expect(lines.some((l) => l.message.startsWith('acknowledged records lost'))).toBe(true);
  });

  it('an intact spool lands whole, with no loss reported and nothing kept aside', async () => {
    const { accepted } = await spooledRequests(dataDir);
    const { logger, lines } = recordingLogger();
    const sink = new SpoolingLakeSink({
      dataDir,
      logger,
      clock: createPinnedClock(),
      flushIntervalMs: 3_600_000,
    });
    await sink.start();
    await sink.close();

    const lake = join(dataDir, 'lake');
    const [row] = await localCompleteness(lake);
    expect(row).toMatchObject({ requests: 20, accepted, landed: accepted, missing: 0 });
    expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(
      // Only the new segment, its companion and the landing reserve are left.
      readdirSync(join(dataDir, 'spool')).filter((f) => !f.startsWith('local-') && f !== '.reserve'),
    ).toEqual([]);
  });
});
