import type { LakeArea } from '../../contract/lake-areas';
import type { MetricName } from '../../contract/metrics';

/** Lines of one partition travelling together: `data` is UTF-8 JSON lines, each ending in `\n`. */
export interface PackedRecord {
  area: LakeArea;
  customerId: string;
  dt: string;
  partitionKey: string;
  /**
   * The lines as the bytes every sink sends or writes (Kinesis and Firehose `Data`, a spool record):
   * encoded once, here, and never again on the way out.
   */
  data: Buffer;
  /** `data.length`. */
  bytes: number;
  count: number;
}

/** Time and chance, injected so retry behaviour is testable without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1): jitter. */
  random(): number;
  /**
   * A timer: `fired` resolves after `ms` of waiting, unless `cancel()` came first (then it never
   * resolves and holds nothing). Deadlines race their dependencies against it (deadline.ts), once per
   * call on the request path: a plain handle, not an AbortSignal, whose abort event alone would cost
   * ~12 µs a call. A test clock may fire it at once (a dependency that never answers) or never (one that
   * always answers in time).
   */
  timer(ms: number): Timer;
}

/** What Clock.timer gives: when it runs out, and a way to stop it first. */
interface Timer {
  fired: Promise<void>;
  cancel(): void;
}

/** The outcome of one record of a put: sinks acknowledge or refuse each record on its own. */
export type PutOutcome =
  | { ok: true }
  | {
      ok: false;
      retryable: boolean;
      code: string;
      /** The store is out of capacity (throttling): retrying inside the request only piles up concurrency. */
      throttled?: boolean;
    };

/**
 * Where packed records go: Kinesis, Firehose, S3 (quarantine), the local spool, memory in tests.
 * `put` answers one outcome per record, in order; it throws only for what no retry can fix.
 */
export interface RecordSink {
  /** Largest `data` a record may carry (Firehose: 1,000 KiB; Kinesis: 1 MiB). */
  readonly maxRecordBytes: number;
  /** `signal` aborts the put when the request's deadline passes (the AWS SDK's `abortSignal`). */
  put(records: readonly PackedRecord[], signal?: AbortSignal): Promise<PutOutcome[]>;
  /**
   * True when a put is all-or-nothing: every record of it is acknowledged, or none is stored (the local
   * spool commits a put with one write and one sync per file, and cuts a failed one back). A request's
   * ledger line may then travel in the same put as its events (one commit instead of two); a sink that
   * can acknowledge part of a put (Kinesis, Firehose) gets the ledger line only after the rest.
   */
  readonly allOrNothing?: boolean;
}

/** Structured logs. Callers pass codes and counts only: never headers, tokens, bodies or events. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Metrics {
  /** Adds to a count; `reason` becomes a `Reason` dimension (a quarantine reason or a denial code). */
  count(name: MetricName, value: number, reason?: string): void;
  /** Called at the end of every invocation: publishes what was counted, or holds it for a later one. */
  flush(): void;
}

/**
 * The object operations the intent, audience and refresh functions need (S3 on AWS:
 * adapters/aws/s3-objects.ts). Listings are complete, however many pages the store answers in.
 */
export interface ObjectStore {
  /** Every key under a prefix. */
  listKeys(bucket: string, prefix: string): Promise<string[]>;
  /** The folders one level under a prefix, each ending in `/`. */
  foldersUnder(bucket: string, prefix: string): Promise<string[]>;
  /** An object's bytes (it must exist). */
  readBytes(bucket: string, key: string): Promise<Buffer>;
  /** An object's text, or undefined when there is none. */
  readText(bucket: string, key: string): Promise<string | undefined>;
  /** A value written as JSON. */
  putJson(bucket: string, key: string, value: unknown): Promise<void>;
  /** Rows written as JSON lines, one object a line (what Athena's JSON tables read). */
  putJsonLines(bucket: string, key: string, rows: readonly unknown[]): Promise<void>;
  /** Every object under a prefix removed; how many. */
  removeUnder(bucket: string, prefix: string): Promise<number>;
}

/** Named secrets (Secrets Manager on AWS: adapters/aws/secrets.ts), read through a cache of its own. */
export interface SecretStore {
  /** Whether the secret exists, its value never read. */
  exists(name: string): Promise<boolean>;
  /** Its text, at most the store's cache age old; undefined when it has none. */
  text(name: string): Promise<string | undefined>;
}
