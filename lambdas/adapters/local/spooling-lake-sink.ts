import { mkdirSync, readdirSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { PackedRecord } from '../../core/pack-records';
import type { Logger, PutOutcome, RecordSink } from '../../core/ports';
import { writeFileAtomicAsync } from './atomic-file';
import { lakeDir, lakeObjectKey } from './lake-layout';
import { decodeSpoolSegment, encodeSpoolRecord } from './spool-format';

export interface SpoolingLakeSinkOptions {
  dataDir: string;
  /** How often buffered records become lake files, like Firehose's buffer interval (ms). */
  flushIntervalMs?: number;
  /** A segment this large is flushed early, like Firehose's buffer size. */
  maxSegmentBytes?: number;
  logger: Logger;
}

interface Segment {
  name: string;
  path: string;
  handle: FileHandle;
  bytes: number;
}

/**
 * The local stand-in for Kinesis + Firehose + S3. `put` acknowledges a record only after it is
 * appended to a spool segment and fsync'ed, so an acknowledged event survives `kill -9`. Every
 * `flushIntervalMs` the segment is sealed and turned into gzip JSON-lines files, one per partition,
 * named after the segment: replaying a segment after a crash rewrites the same files, so recovery
 * never duplicates. Concurrent puts share one write and one fsync (group commit).
 * One server per data directory.
 */
export class SpoolingLakeSink implements RecordSink {
  // The same per-record limit as Firehose, so what packs locally packs on AWS.
  readonly maxRecordBytes = 1_000 * 1024;
  private readonly spoolDir: string;
  private readonly lakeRoot: string;
  private readonly flushIntervalMs: number;
  private readonly maxSegmentBytes: number;
  private readonly logger: Logger;
  private current: Segment | undefined;
  private queue: { buffer: Buffer; done: (ok: boolean) => void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private landing: Promise<unknown> = Promise.resolve();
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private readonly sealed: string[] = [];

  constructor(options: SpoolingLakeSinkOptions) {
    this.spoolDir = join(options.dataDir, 'spool');
    this.lakeRoot = lakeDir(options.dataDir);
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    // Firehose buffers up to 128 MiB; locally smaller files keep `npm start` light on memory.
    this.maxSegmentBytes = options.maxSegmentBytes ?? 16 * 1024 * 1024;
    this.logger = options.logger;
  }

  /** Lands what a previous run left in the spool, then starts buffering. Returns the segments recovered. */
  async start(): Promise<number> {
    mkdirSync(this.spoolDir, { recursive: true, mode: 0o700 });
    const leftovers = readdirSync(this.spoolDir)
      .filter((f) => f.endsWith(SEGMENT_SUFFIX))
      .sort();
    for (const file of leftovers) await this.land(file.slice(0, -SEGMENT_SUFFIX.length));
    if (leftovers.length > 0) this.logger.info('spool recovered', { segments: leftovers.length });
    this.timer = setInterval(
      () => void this.flush().catch((e: Error) => this.logger.error('flush failed', { detail: e.name })),
      this.flushIntervalMs,
    );
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
   * Seals the current segment and lands it. Resolves once the files are in the lake. Landing runs
   * beside the writes (its own chain), so acknowledging new events never waits for gzip.
   */
  flush(): Promise<void> {
    return this.serial(() => this.seal()).then((sealed) => {
      if (sealed) this.sealed.push(sealed);
      const landing = this.landing.then(async () => {
        // A segment that failed to land stays queued (and in the spool) and is tried again here.
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

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.chain.then(operation);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Writes what is queued with one write and one fsync, then yields so flushes interleave under load. */
  private async drain(): Promise<void> {
    const batch = this.queue.splice(0);
    try {
      const segment = await this.segment();
      const buffer = Buffer.concat(batch.map((item) => item.buffer));
      await segment.handle.write(buffer);
      await segment.handle.datasync();
      segment.bytes += buffer.length;
      for (const item of batch) item.done(true);
    } catch (error) {
      this.logger.error('spool write failed', { detail: (error as Error).name });
      for (const item of batch) item.done(false);
    }
    if (this.current && this.current.bytes >= this.maxSegmentBytes) void this.flush();
    if (this.queue.length > 0) void this.serial(() => this.drain());
    else this.draining = false;
  }

  private async segment(): Promise<Segment> {
    if (this.current) return this.current;
    this.sequence += 1;
    const name = `local-${new Date().toISOString().replace(/[-:.]/g, '')}-${process.pid}-${String(this.sequence).padStart(6, '0')}`;
    const path = join(this.spoolDir, `${name}${SEGMENT_SUFFIX}`);
    this.current = { name, path, handle: await open(path, 'a', 0o600), bytes: 0 };
    return this.current;
  }

  private async seal(): Promise<string | undefined> {
    const segment = this.current;
    if (!segment) return undefined;
    this.current = undefined;
    await segment.handle.close();
    return segment.name;
  }

  /** Turns one sealed segment into lake files, then deletes it. Idempotent: file names come from the segment. */
  private async land(name: string): Promise<void> {
    const path = join(this.spoolDir, `${name}${SEGMENT_SUFFIX}`);
    const { records, truncated } = decodeSpoolSegment(await readFile(path));
    // Only the end can be cut short (a crash mid-append), and that record was never acknowledged.
    if (truncated)
      this.logger.warn('spool segment ends in a partial record (never acknowledged)', { segment: name });
    const partitions = new Map<string, string[]>();
    for (const record of records) {
      const key = lakeObjectKey(record.area, record.customerId, record.dt, name);
      const parts = partitions.get(key) ?? [];
      parts.push(record.data);
      partitions.set(key, parts);
    }
    for (const [key, parts] of partitions) {
      const target = join(this.lakeRoot, key);
      await mkdir(dirname(target), { recursive: true });
      // zlib's asynchronous gzip runs on the thread pool: the event loop keeps answering requests.
      await writeFileAtomicAsync(target, await gzipAsync(parts.join('')));
    }
    await unlink(path);
  }
}

const SEGMENT_SUFFIX = '.spool';
const gzipAsync = promisify(gzip);
