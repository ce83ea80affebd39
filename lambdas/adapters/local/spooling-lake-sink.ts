import { mkdirSync, readdirSync } from 'node:fs';
import { type FileHandle, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LakeArea } from '../../core/lake-records';
import type { PackedRecord } from '../../core/pack-records';
import type { Logger, PutOutcome, RecordSink } from '../../core/ports';
import { writeFileAtomic } from './atomic-file';
import { lakeDir, lakeObjectKey } from './lake-layout';

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

interface SpooledRecord {
  a: LakeArea;
  c: string;
  d: string;
  data: string;
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
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    for (const file of leftovers) await this.land(file.slice(0, -'.jsonl'.length));
    if (leftovers.length > 0) this.logger.info('spool recovered', { segments: leftovers.length });
    this.timer = setInterval(
      () => void this.flush().catch((e: Error) => this.logger.error('flush failed', { detail: e.name })),
      this.flushIntervalMs,
    );
    this.timer.unref();
    return leftovers.length;
  }

  put(records: readonly PackedRecord[]): Promise<PutOutcome[]> {
    const lines = records.map(
      (r) =>
        `${JSON.stringify({ a: r.area, c: r.customerId, d: r.dt, data: r.data } satisfies SpooledRecord)}\n`,
    );
    return new Promise((resolve) => {
      this.queue.push({
        buffer: Buffer.from(lines.join('')),
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

  /** Seals the current segment and lands it. Resolves once the files are in the lake. */
  flush(): Promise<void> {
    return this.serial(async () => {
      const sealed = await this.seal();
      if (sealed) this.sealed.push(sealed);
      // A segment that failed to land stays queued (and in the spool) and is tried again here.
      while (this.sealed.length > 0) {
        await this.land(this.sealed[0]!);
        this.sealed.shift();
      }
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
    const path = join(this.spoolDir, `${name}.jsonl`);
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
    const path = join(this.spoolDir, `${name}.jsonl`);
    const text = await readFile(path, 'utf8');
    const partitions = new Map<string, { area: LakeArea; customerId: string; dt: string; parts: string[] }>();
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.length === 0) return;
      let record: SpooledRecord;
      try {
        record = JSON.parse(line) as SpooledRecord;
      } catch {
        // Only the last line can be cut short (a crash mid-append), and it was never acknowledged.
        if (i !== lines.length - 1) this.logger.error('spool line unreadable', { segment: name, line: i });
        return;
      }
      const key = lakeObjectKey(record.a, record.c, record.d, name);
      const partition = partitions.get(key) ?? {
        area: record.a,
        customerId: record.c,
        dt: record.d,
        parts: [],
      };
      partition.parts.push(record.data);
      partitions.set(key, partition);
    });
    for (const [key, partition] of partitions) {
      const target = join(this.lakeRoot, key);
      mkdirSync(dirname(target), { recursive: true });
      writeFileAtomic(target, gzipSync(partition.parts.join('')));
    }
    await unlink(path);
  }
}
