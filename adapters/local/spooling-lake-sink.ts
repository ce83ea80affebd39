import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Clock, Logger, PackedRecord, PutOutcome, RecordSink } from '../../domain/core/common/ports';
import { FIREHOSE_MAX_RECORD_BYTES } from '../../domain/core/lake/pack-records';
import { lakeDir, lakeObjectKey } from './lake-layout';
import { nodeSpoolFiles, type SpoolFile, type SpoolFiles, writeFully } from './spool-files';
import { decodeSpoolSegment, encodeSpoolRecord, type SpooledRecord, salvageLines } from './spool-format';

export interface SpoolingLakeSinkOptions {
  dataDir: string;
  /** How often buffered records become lake files, like Firehose's buffer interval (ms). */
  flushIntervalMs?: number;
  /** A segment this large is flushed early, like Firehose's buffer size. */
  maxSegmentBytes?: number;
  logger: Logger;
  /** Names segments by time. */
  clock: Clock;
  /** The file system; tests inject one that fails. */
  files?: SpoolFiles;
  /**
   * Bytes set aside that only landing may use (a file, `spool/.reserve`); default: sized to the disk
   * (`reserveFor`). 0: none.
   */
  reserveBytes?: number;
}

/** The reserve file of a data directory (the lock can free it to start on a full disk). */
export function reservePath(dataDir: string): string {
  return join(dataDir, 'spool', RESERVE_FILE);
}

/**
 * The reserve for a disk of `capacity` bytes: 15 % of it, at least 256 KiB and at most 8 MiB. Landing a
 * segment writes its gzip files before the segment is deleted, so landing needs room the spool cannot
 * take; segments are kept at half the reserve at most, so the gzip of one always fits in it (JSON lines
 * compress 5–10×). On a 4 MiB disk: a 614 KiB reserve and 307 KiB segments.
 *
 * @internal
 */
export function reserveFor(capacity: number | undefined): number {
  if (capacity === undefined) return MAX_RESERVE;
  return Math.min(MAX_RESERVE, Math.max(MIN_RESERVE, Math.floor(capacity * 0.15)));
}

interface Segment {
  name: string;
  path: string;
  file: SpoolFile;
  /** Bytes of complete, acknowledged records: the file is cut back to this after a failed write. */
  bytes: number;
  /** The segment's ledger companion (`<name>.ledger`): ledger records and commit marks. */
  ledger: SpoolFile;
  ledgerBytes: number;
  ledgerRecords: number;
}

/**
 * The local stand-in for Kinesis + Firehose + S3. `put` acknowledges a record only after every byte of
 * it is appended to a spool segment and synced, so an acknowledged event survives `kill -9`; a write
 * that fails or stores only part of a record is cut back and refused (retryable), so nothing is
 * acknowledged that is not stored. Every `flushIntervalMs` the segment is sealed and turned into gzip
 * JSON-lines files, one per partition, named after the segment: landing a segment again after a crash
 * rewrites the same files, so recovery never duplicates. Concurrent puts share one write and one sync
 * (group commit). A segment with damaged records lands what is intact and is kept aside, never deleted.
 * One process per data directory owns the spool (local/data-dir-lock.ts).
 */
export class SpoolingLakeSink implements RecordSink {
  // The same per-record limit as Firehose, so what packs locally packs on AWS.
  readonly maxRecordBytes = FIREHOSE_MAX_RECORD_BYTES;
  private readonly spoolDir: string;
  private readonly damagedDir: string;
  private readonly tempDir: string;
  private readonly lakeRoot: string;
  private readonly flushIntervalMs: number;
  private maxSegmentBytes: number;
  private readonly reserveOption: number | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly files: SpoolFiles;
  private current: Segment | undefined;
  private queue: { buffer: Buffer; ledger: Buffer; ledgerRecords: number; done: (ok: boolean) => void }[] =
    [];
  private chain: Promise<unknown> = Promise.resolve();
  private landing: Promise<unknown> = Promise.resolve();
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private readonly sealed: string[] = [];
  private lastFlushError: string | undefined;
  private reserveBytes = 0;
  private reserveHeld = false;
  /**
   * Set when the disk is full: new records are refused (retryable, 503) until landing has drained the
   * spool and the reserve is back, so the room landing frees goes to landing, not to new writes.
   */
  private refusing = false;
  private acceptLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(options: SpoolingLakeSinkOptions) {
    this.spoolDir = join(options.dataDir, 'spool');
    this.damagedDir = join(this.spoolDir, 'damaged');
    // Lake files are written here first, then renamed into place: a reader of lake/ never sees a
    // temporary file, and what a killed landing left here is removed at the next start.
    this.tempDir = join(options.dataDir, 'tmp');
    this.lakeRoot = lakeDir(options.dataDir);
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    // Firehose buffers up to 128 MiB; locally smaller files keep `npm start` light on memory.
    this.maxSegmentBytes = options.maxSegmentBytes ?? 0;
    this.reserveOption = options.reserveBytes;
    this.logger = options.logger;
    this.clock = options.clock;
    this.files = options.files ?? nodeSpoolFiles;
  }

  /**
   * Lands what a previous run left in the spool, then starts buffering. Returns the segments found.
   * Fails (with the errno and path) when the data directory cannot be written at all; a segment that
   * cannot be landed yet (a full disk) stays in the spool and is tried again at every flush.
   */
  async start(): Promise<number> {
    await this.files.mkdir(this.spoolDir);
    await this.files.mkdir(this.tempDir);
    for (const stale of await this.files.readdir(this.tempDir))
      await this.files.unlink(join(this.tempDir, stale));
    this.reserveBytes = this.reserveOption ?? reserveFor(await this.files.capacity(this.spoolDir));
    // Firehose's buffer is up to 128 MiB; here a segment is at most half the reserve, so its landing
    // always fits in the room the reserve frees.
    if (this.maxSegmentBytes === 0)
      this.maxSegmentBytes = Math.max(MIN_SEGMENT, Math.min(MAX_SEGMENT, Math.floor(this.reserveBytes / 2)));
    // A reserve a previous run left is freed first: landing what it left may need the room.
    await this.files.unlink(join(this.spoolDir, RESERVE_FILE)).catch(() => undefined);
    // A segment left behind, or only its ledger companion (an operator deleted the segment to free
    // space): either way its name is landed, and what the ledger vouches for is counted.
    const leftovers = [
      ...new Set(
        (await this.files.readdir(this.spoolDir)).flatMap((f) =>
          f.endsWith(SEGMENT_SUFFIX)
            ? [f.slice(0, -SEGMENT_SUFFIX.length)]
            : f.endsWith(LEDGER_SUFFIX)
              ? [f.slice(0, -LEDGER_SUFFIX.length)]
              : [],
        ),
      ),
    ].sort();
    this.sealed.push(...leftovers);
    if (leftovers.length > 0) {
      await this.flush().catch((error: Error) =>
        this.logger.error('could not land the spool yet; retried at every flush', { detail: error.message }),
      );
      this.logger.info('spool recovered', { segments: leftovers.length, waiting: this.sealed.length });
    }
    // Without its reserve the server starts, refusing writes until landing made room for it.
    if (!(await this.ensureReserve())) {
      this.refusing = true;
      this.logger.error(
        'disk full at start: refusing new records until there is room for the landing reserve',
        {
          reserveBytes: this.reserveBytes,
        },
      );
    }
    // Proves the spool can be written before the server says it is listening.
    await this.segment();
    this.timer = setInterval(() => this.flushInBackground(), this.flushIntervalMs);
    this.timer.unref();
    return leftovers.length;
  }

  /** A put is written with one write and one sync per file, and cut back whole when either fails. */
  readonly allOrNothing = true;

  put(records: readonly PackedRecord[]): Promise<PutOutcome[]> {
    if (this.refusing) {
      this.flushInBackground();
      return Promise.resolve(records.map(() => ({ ok: false, retryable: true, code: 'spool_full' })));
    }
    const encode = (list: readonly PackedRecord[]) =>
      Buffer.concat(
        list.map((r) =>
          encodeSpoolRecord({ area: r.area, customerId: r.customerId, dt: r.dt, data: r.data }),
        ),
      );
    // Ledger records (a request's proof of acknowledgement) go to the segment's companion file, not
    // beside the events they vouch for: a segment cut short or deleted cannot take its own proof along.
    const ledgerRecords = records.filter((r) => r.area === 'ledger');
    const buffer = encode(ledgerRecords.length === 0 ? records : records.filter((r) => r.area !== 'ledger'));
    const ledger = encode(ledgerRecords);
    return new Promise((resolve) => {
      this.queue.push({
        buffer,
        ledger,
        ledgerRecords: ledgerRecords.length,
        done: (ok) =>
          resolve(
            records.map(() =>
              ok ? { ok: true } : { ok: false, retryable: true, code: 'spool_write_failed' },
            ),
          ),
      });
      if (!this.draining) {
        this.draining = true;
        void this.serial(() => this.drain());
      }
    });
  }

  /**
   * Seals the current segment and lands every sealed one. Resolves once the files are in the lake;
   * rejects when one cannot be landed yet (it stays in the spool and is tried again next time).
   * Landing runs beside the writes (its own chain), so acknowledging new events never waits for gzip.
   */
  flush(): Promise<void> {
    return this.serial(() => this.seal()).then(() => {
      const landing = this.landing.then(async () => {
        while (this.sealed.length > 0) {
          try {
            await this.land(this.sealed[0]!);
          } catch (error) {
            // The disk is full: landing may use the reserve, and nothing else may until it is back.
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC' || !this.reserveHeld) throw error;
            await this.releaseReserve();
            await this.land(this.sealed[0]!);
          }
          this.sealed.shift();
        }
        if (this.refusing || !this.reserveHeld) {
          if (await this.ensureReserve()) {
            // Said once a minute at most: on a disk that stays full, each write fails and this repeats.
            if (this.refusing && this.clock.now() - this.acceptLoggedAt > 60_000) {
              this.acceptLoggedAt = this.clock.now();
              this.logger.info('disk has room again: accepting', { reserveBytes: this.reserveBytes });
            }
            this.refusing = false;
          } else this.refusing = true;
        }
      });
      this.landing = landing.catch(() => undefined);
      return landing;
    });
  }

  /** Flushes everything and stops; call on SIGTERM/SIGINT. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Segments sealed but not landed yet (a full disk keeps them here until space returns). */
  get waitingSegments(): number {
    return this.sealed.length;
  }

  /** A flush nobody awaits: its failure is logged once per distinct cause, never left unhandled. */
  private flushInBackground(): void {
    this.flush().then(
      () => {
        if (this.lastFlushError) this.logger.info('landing recovered', { after: this.lastFlushError });
        this.lastFlushError = undefined;
      },
      (error: NodeJS.ErrnoException) => {
        const cause = `${error.code ?? error.name}: ${error.message}`;
        if (cause !== this.lastFlushError)
          this.logger.error('landing failed; the segment stays in the spool and is retried', {
            code: error.code ?? error.name,
            detail: error.message,
            waiting: this.sealed.length,
          });
        this.lastFlushError = cause;
      },
    );
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.chain.then(operation);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Writes what is queued with one write and one sync, then yields so flushes interleave under load. */
  private async drain(): Promise<void> {
    const batch = this.queue.splice(0);
    const buffer = Buffer.concat(batch.map((item) => item.buffer));
    let ok = false;
    try {
      const segment = await this.segment();
      // One commit point, two files: the events, then the ledger records and a mark of how many bytes of
      // the segment are now acknowledged; both synced at once, and the answer waits for both.
      const ledger = Buffer.concat([
        ...batch.map((item) => item.ledger),
        Buffer.from(`${ACK_MARK}${segment.bytes + buffer.length}\n`),
      ]);
      await writeFully(segment.file, buffer, segment.bytes);
      await writeFully(segment.ledger, ledger, segment.ledgerBytes);
      await Promise.all([segment.file.datasync(), segment.ledger.datasync()]);
      segment.bytes += buffer.length;
      segment.ledgerBytes += ledger.length;
      segment.ledgerRecords += batch.reduce((sum, item) => sum + item.ledgerRecords, 0);
      ok = true;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      this.logger.error('spool write failed; answering retryable', {
        code: e.code ?? e.name,
        detail: e.message,
        records: batch.length,
      });
      await this.cutBack();
      if (e.code === 'ENOSPC') {
        // Full: stop taking records and land now (with the reserve), instead of letting new writes take
        // whatever room landing frees.
        this.refusing = true;
        this.flushInBackground();
      }
    }
    for (const item of batch) item.done(ok);
    if (this.current && this.current.bytes >= this.maxSegmentBytes) this.flushInBackground();
    if (this.queue.length > 0) void this.serial(() => this.drain());
    else this.draining = false;
  }

  /**
   * After a failed write, cuts the segment back to its last acknowledged record. When even that fails,
   * the segment is sealed as it is: its torn tail fails the reader's checks and is kept aside at landing.
   */
  private async cutBack(): Promise<void> {
    const segment = this.current;
    if (!segment) return;
    try {
      await segment.file.truncate(segment.bytes);
      await segment.ledger.truncate(segment.ledgerBytes);
      await Promise.all([segment.file.datasync(), segment.ledger.datasync()]);
    } catch {
      await this.seal();
    }
  }

  private async segment(): Promise<Segment> {
    if (this.current) return this.current;
    this.sequence += 1;
    const stamp = new Date(this.clock.now()).toISOString().replace(/[-:.]/g, '');
    const name = `local-${stamp}-${process.pid}-${String(this.sequence).padStart(6, '0')}`;
    const path = join(this.spoolDir, `${name}${SEGMENT_SUFFIX}`);
    const file = await this.files.create(path);
    let ledger: SpoolFile;
    try {
      ledger = await this.files.create(join(this.spoolDir, `${name}${LEDGER_SUFFIX}`));
    } catch (error) {
      await file.close().catch(() => undefined);
      await this.files.unlink(path).catch(() => undefined);
      throw error;
    }
    this.current = { name, path, file, bytes: 0, ledger, ledgerBytes: 0, ledgerRecords: 0 };
    return this.current;
  }

  /** Closes the current segment and queues it for landing (an empty one is removed). */
  private async seal(): Promise<void> {
    const segment = this.current;
    if (!segment) return;
    this.current = undefined;
    await segment.file.close().catch(() => undefined);
    await segment.ledger.close().catch(() => undefined);
    if (segment.bytes === 0 && segment.ledgerRecords === 0) {
      await this.files.unlink(segment.path).catch(() => undefined);
      await this.files.unlink(join(this.spoolDir, `${segment.name}${LEDGER_SUFFIX}`)).catch(() => undefined);
    } else this.sealed.push(segment.name);
  }

  /**
   * Lands the intact records of a segment's bytes, and the whole lines its damaged records still hold
   * (spool-format.ts, `salvageLines`), as gzip files named after the segment.
   */
  private async landBytes(name: string, bytes: Buffer) {
    const { records, skipped } = decodeSpoolSegment(bytes);
    const salvaged = salvageLines(bytes, skipped);
    await this.landRecords([
      [records, name],
      [salvaged.records, `${name}${SALVAGED_SUFFIX}`],
    ]);
    return { records, skipped, salvaged };
  }

  /** Writes records into the lake: one gzip object per partition and file name, each written whole. */
  private async landRecords(lists: [records: SpooledRecord[], fileName: string][]) {
    const partitions = new Map<string, Buffer[]>();
    for (const [list, fileName] of lists)
      for (const record of list) {
        const key = lakeObjectKey(record.area, record.customerId, record.dt, fileName);
        const parts = partitions.get(key);
        if (parts) parts.push(record.data);
        else partitions.set(key, [record.data]);
      }
    for (const [key, parts] of partitions) {
      const target = join(this.lakeRoot, key);
      await this.files.mkdir(dirname(target));
      // zlib's asynchronous gzip runs on the thread pool: the event loop keeps answering requests.
      await this.files.writeFileAtomic(target, await gzipAsync(Buffer.concat(parts)), this.tempDir);
    }
  }

  /** Puts the reserve back (true) or says it does not fit yet (false). */
  private async ensureReserve(): Promise<boolean> {
    if (this.reserveHeld || this.reserveBytes === 0) return true;
    this.reserveHeld = await this.files.reserve(join(this.spoolDir, RESERVE_FILE), this.reserveBytes);
    return this.reserveHeld;
  }

  private async releaseReserve(): Promise<void> {
    this.refusing = true;
    this.reserveHeld = false;
    await this.files.unlink(join(this.spoolDir, RESERVE_FILE)).catch(() => undefined);
    this.logger.warn('disk full: landing with the reserve; new records are refused until it is back', {
      reserveBytes: this.reserveBytes,
    });
  }

  private async readIfThere(path: string): Promise<Buffer | undefined> {
    try {
      return await this.files.readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return undefined;
    }
  }

  /** Lands a ledger companion's records, and reads how many bytes of its segment were acknowledged. */
  private async landLedger(name: string, bytes: Buffer) {
    const { records, skipped } = decodeSpoolSegment(bytes);
    let acknowledgedBytes = 0;
    let damaged = false;
    for (const { start, end } of skipped) {
      // The commit marks sit between records: a range of marks only is no damage.
      const pieces = bytes.toString('latin1', start, end).split('\n');
      // What follows the last newline of the file is a write a crash cut short: never acknowledged.
      if (end === bytes.length) pieces.pop();
      for (const piece of pieces) {
        const mark = /^A (\d{1,15})$/.exec(piece);
        if (mark) acknowledgedBytes = Math.max(acknowledgedBytes, Number(mark[1]));
        else if (piece.length > 0) damaged = true;
      }
    }
    await this.landRecords([[records, `${name}${LEDGER_FILE_SUFFIX}`]]);
    return { acknowledgedBytes, damaged };
  }

  /**
   * Lands again what the segments kept in spool/damaged/ hold: their intact records and the whole lines
   * of their damaged ones (segments kept before salvage existed held lines nobody landed). Idempotent:
   * the same files are rewritten. `npm run redrive -- --salvage`.
   */
  async salvageDamaged(): Promise<{ segments: number; lines: number; unreadable: number }> {
    const out = { segments: 0, lines: 0, unreadable: 0 };
    let names: string[];
    try {
      names = (await this.files.readdir(this.damagedDir)).filter((f) => f.endsWith(SEGMENT_SUFFIX)).sort();
    } catch {
      return out;
    }
    for (const file of names) {
      const { salvaged } = await this.landBytes(
        file.slice(0, -SEGMENT_SUFFIX.length),
        await this.files.readFile(join(this.damagedDir, file)),
      );
      out.segments += 1;
      out.lines += salvaged.lines;
      out.unreadable += salvaged.unreadable;
    }
    return out;
  }

  /**
   * Turns one sealed segment into lake files, then deletes it — or, when some of it was damaged, moves
   * it to spool/damaged/ with a log line that says what was recovered. Idempotent: file names come from
   * the segment, so landing it twice rewrites the same files.
   */
  private async land(name: string): Promise<void> {
    const path = join(this.spoolDir, `${name}${SEGMENT_SUFFIX}`);
    const ledgerPath = join(this.spoolDir, `${name}${LEDGER_SUFFIX}`);
    const bytes = await this.readIfThere(path);
    const ledgerBytes = await this.readIfThere(ledgerPath);
    if (!bytes && !ledgerBytes) {
      this.logger.error('spool segment vanished before landing', { segment: name });
      return;
    }
    const data = bytes ?? Buffer.alloc(0);
    const { records, skipped, salvaged } = await this.landBytes(name, data);
    const ledger = ledgerBytes ? await this.landLedger(name, ledgerBytes) : undefined;
    const lost = acknowledgedLoss(data.length, skipped, ledger?.acknowledgedBytes ?? 0);
    if (lost.length > 0)
      this.logger.error('acknowledged records lost: the segment holds less than was acknowledged', {
        segment: name,
        ranges: lost,
        bytes: lost.reduce((sum, r) => sum + r.end - r.start, 0),
        salvagedLines: salvaged.lines,
        // Completeness reports the count: the ledger lines of those requests landed from the companion.
      });
    const damaged = skipped.length > 0 || (ledger?.damaged ?? false) || lost.length > 0;
    if (!damaged) {
      if (bytes) await this.files.unlink(path);
      if (ledgerBytes) await this.files.unlink(ledgerPath);
      return;
    }
    await this.files.mkdir(this.damagedDir);
    const kept = join(this.damagedDir, `${name}${SEGMENT_SUFFIX}`);
    if (bytes) await this.files.rename(path, kept);
    if (ledgerBytes) await this.files.rename(ledgerPath, join(this.damagedDir, `${name}${LEDGER_SUFFIX}`));
    if (skipped.length === 0) return;
    const skippedBytes = skipped.reduce((sum, range) => sum + range.end - range.start, 0);
    const tailOnly =
      skipped.length === 1 && skipped[0]!.end === data.length && salvaged.lines === 0 && lost.length === 0;
    this.logger.warn(
      tailOnly
        ? 'spool segment ends in a partial record (a write cut short by a crash or a full disk, never acknowledged); the intact records landed'
        : 'spool segment has damaged records; every intact record landed, the segment is kept for inspection',
      {
        segment: name,
        recoveredRecords: records.length,
        salvagedLines: salvaged.lines,
        unreadableLines: salvaged.unreadable,
        skippedRanges: skipped.length,
        skippedBytes,
        keptAt: relative(dirname(this.spoolDir), kept),
      },
    );
  }
}

const SEGMENT_SUFFIX = '.spool';
const RESERVE_FILE = '.reserve';
const MIN_RESERVE = 256 * 1024;
const MAX_RESERVE = 8 * 1024 * 1024;
const MIN_SEGMENT = 64 * 1024;
const MAX_SEGMENT = 16 * 1024 * 1024;
// A segment's ledger companion: the ledger records of the requests acknowledged with it, and after
// each commit a mark `A <bytes>\n` of how much of the segment is acknowledged.
const LEDGER_SUFFIX = '.ledger';
const ACK_MARK = 'A ';

/**
 * The byte ranges of a segment that were acknowledged (below the last commit mark) but hold no intact
 * record: damage inside them, or a segment shorter than what was acknowledged (cut short, or deleted).
 */
function acknowledgedLoss(
  length: number,
  skipped: readonly { start: number; end: number }[],
  acknowledged: number,
): { start: number; end: number }[] {
  const lost = skipped
    .filter((r) => r.start < acknowledged)
    .map((r) => ({ start: r.start, end: Math.min(r.end, acknowledged) }));
  if (length < acknowledged) lost.push({ start: length, end: acknowledged });
  return lost;
}
// Lake files of the lines salvaged from a segment's damaged records: named after the segment too, so
// salvaging it again rewrites the same files.
const SALVAGED_SUFFIX = '-salvaged';
const LEDGER_FILE_SUFFIX = '-ledger';
// gzip level 1: the local lake stands in for Firehose's, and landing gzips everything acknowledged on
// the thread pool, beside the requests on a machine of two cores. On JSON lines of analytics events,
// level 1 compresses a few times faster than zlib's default (6) for files about a fifth larger:
// here throughput matters more than disk.
const GZIP_LEVEL = 1;
const gzipLevel = promisify(gzip);
const gzipAsync = (data: Buffer) => gzipLevel(data, { level: GZIP_LEVEL });
