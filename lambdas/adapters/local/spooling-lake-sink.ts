import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Clock, Logger, PutOutcome, RecordSink } from '../../core/common/ports';
import { FIREHOSE_MAX_RECORD_BYTES, type PackedRecord } from '../../core/lake/pack-records';
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
}

interface Segment {
  name: string;
  path: string;
  file: SpoolFile;
  /** Bytes of complete, acknowledged records: the file is cut back to this after a failed write. */
  bytes: number;
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
  private readonly maxSegmentBytes: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly files: SpoolFiles;
  private current: Segment | undefined;
  private queue: { buffer: Buffer; done: (ok: boolean) => void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private landing: Promise<unknown> = Promise.resolve();
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private readonly sealed: string[] = [];
  private lastFlushError: string | undefined;

  constructor(options: SpoolingLakeSinkOptions) {
    this.spoolDir = join(options.dataDir, 'spool');
    this.damagedDir = join(this.spoolDir, 'damaged');
    // Lake files are written here first, then renamed into place: a reader of lake/ never sees a
    // temporary file, and what a killed landing left here is removed at the next start.
    this.tempDir = join(options.dataDir, 'tmp');
    this.lakeRoot = lakeDir(options.dataDir);
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    // Firehose buffers up to 128 MiB; locally smaller files keep `npm start` light on memory.
    this.maxSegmentBytes = options.maxSegmentBytes ?? 16 * 1024 * 1024;
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
    const leftovers = (await this.files.readdir(this.spoolDir))
      .filter((f) => f.endsWith(SEGMENT_SUFFIX))
      .sort();
    this.sealed.push(...leftovers.map((file) => file.slice(0, -SEGMENT_SUFFIX.length)));
    if (leftovers.length > 0) {
      await this.flush().catch((error: Error) =>
        this.logger.error('could not land the spool yet; retried at every flush', { detail: error.message }),
      );
      this.logger.info('spool recovered', { segments: leftovers.length, waiting: this.sealed.length });
    }
    // Proves the spool can be written before the server says it is listening.
    await this.segment();
    this.timer = setInterval(() => this.flushInBackground(), this.flushIntervalMs);
    this.timer.unref();
    return leftovers.length;
  }

  put(records: readonly PackedRecord[]): Promise<PutOutcome[]> {
    const buffer = Buffer.concat(
      records.map((r) =>
        encodeSpoolRecord({ area: r.area, customerId: r.customerId, dt: r.dt, data: r.data }),
      ),
    );
    return new Promise((resolve) => {
      this.queue.push({
        buffer,
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
          await this.land(this.sealed[0]!);
          this.sealed.shift();
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
      await writeFully(segment.file, buffer, segment.bytes);
      await segment.file.datasync();
      segment.bytes += buffer.length;
      ok = true;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      this.logger.error('spool write failed; answering retryable', {
        code: e.code ?? e.name,
        detail: e.message,
        records: batch.length,
      });
      await this.cutBack();
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
      await segment.file.datasync();
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
    this.current = { name, path, file: await this.files.create(path), bytes: 0 };
    return this.current;
  }

  /** Closes the current segment and queues it for landing (an empty one is removed). */
  private async seal(): Promise<void> {
    const segment = this.current;
    if (!segment) return;
    this.current = undefined;
    await segment.file.close().catch(() => undefined);
    if (segment.bytes === 0) await this.files.unlink(segment.path).catch(() => undefined);
    else this.sealed.push(segment.name);
  }

  /**
   * Lands the intact records of a segment's bytes, and the whole lines its damaged records still hold
   * (spool-format.ts, `salvageLines`), as gzip files named after the segment.
   */
  private async landBytes(name: string, bytes: Buffer) {
    const { records, skipped } = decodeSpoolSegment(bytes);
    const salvaged = salvageLines(bytes, skipped);
    const partitions = new Map<string, string[]>();
    const add = (list: SpooledRecord[], fileName: string) => {
      for (const record of list) {
        const key = lakeObjectKey(record.area, record.customerId, record.dt, fileName);
        const parts = partitions.get(key) ?? [];
        parts.push(record.data);
        partitions.set(key, parts);
      }
    };
    add(records, name);
    add(salvaged.records, `${name}${SALVAGED_SUFFIX}`);
    for (const [key, parts] of partitions) {
      const target = join(this.lakeRoot, key);
      await this.files.mkdir(dirname(target));
      // zlib's asynchronous gzip runs on the thread pool: the event loop keeps answering requests.
      await this.files.writeFileAtomic(target, await gzipAsync(parts.join('')), this.tempDir);
    }
    return { records, skipped, salvaged };
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
    let bytes: Buffer;
    try {
      bytes = await this.files.readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.logger.error('spool segment vanished before landing', { segment: name });
      return;
    }
    const { records, skipped, salvaged } = await this.landBytes(name, bytes);
    if (skipped.length === 0) {
      await this.files.unlink(path);
      return;
    }
    await this.files.mkdir(this.damagedDir);
    const kept = join(this.damagedDir, `${name}${SEGMENT_SUFFIX}`);
    await this.files.rename(path, kept);
    const skippedBytes = skipped.reduce((sum, range) => sum + range.end - range.start, 0);
    const tailOnly = skipped.length === 1 && skipped[0]!.end === bytes.length && salvaged.lines === 0;
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
// Lake files of the lines salvaged from a segment's damaged records: named after the segment too, so
// salvaging it again rewrites the same files.
const SALVAGED_SUFFIX = '-salvaged';
const gzipAsync = promisify(gzip);
