import type { MessageType } from './message-schema';
import type { Reason } from './validate-message';

/**
 * One normalized event as it lands in `events/customer_id=<id>/dt=<YYYY-MM-DD>/`, one per line.
 * Column names are snake_case so Athena/Glue read them as they are. Documented in the README.
 */
export interface LakeEvent {
  schema_version: 1;
  message_id: string;
  /** True when the message had no messageId and we derived one from its content. */
  message_id_generated: boolean;
  customer_id: string;
  /** UTC date of `timestamp`: the partition (the receive date when `timestamp_out_of_range`). */
  dt: string;
  /** The request that delivered this copy: the completeness ledger counts per request. */
  request_id: string;
  type: MessageType;
  /** track only: the canonical name, the name as sent, and the folded key equal for every spelling. */
  event: string | null;
  event_raw: string | null;
  event_key: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  /** The skew-corrected instant of the event (ISO-8601, UTC), as sent even when out of range. */
  timestamp: string;
  /**
   * True when `timestamp` is before 2000-01-01 or more than a day after `received_at`: kept as sent, but
   * the event is partitioned by its receive date, so no client clock opens partitions without bound.
   */
  timestamp_out_of_range: boolean;
  /** When this destination received the request (ISO-8601, UTC). */
  received_at: string;
  /** The message as sent, with the common fields under their canonical names. */
  message: Record<string, unknown>;
}

/** A message that could not be accepted, kept with its reason in `quarantine/customer_id=<id>/dt=<receive date>/`. */
export interface QuarantineEntry {
  schema_version: 1;
  customer_id: string;
  /** UTC date of `received_at`: an invalid message has no trustworthy timestamp of its own. */
  dt: string;
  received_at: string;
  /** The request that delivered it. */
  request_id: string;
  /** Position of the message in the request (0 for a single message). */
  index: number;
  message_id: string | null;
  reason: Reason;
  /** The message exactly as received, or, when the body itself was unreadable, its text. */
  raw?: unknown;
  raw_body?: string;
  /** True when `raw_body` holds only the start (or a depth-limited excerpt) of what was received. */
  raw_truncated?: boolean;
}

/** The landing areas of the lake, which are also the S3 top-level prefixes. */
export const LAKE_AREAS = ['events', 'quarantine', 'ledger'] as const;
export type LakeArea = (typeof LAKE_AREAS)[number];

/**
 * One line per request that got a final answer (2xx, or 400/501 for a lone invalid message, after it was
 * quarantined), in `ledger/customer_id=<id>/dt=<receive date>/`, written only after the request's events
 * and quarantine entries were acknowledged by the sink — never for a request that ends in a retryable
 * error. Completeness joins it with the events that carry the same `request_id` (lib/lake-catalog.ts
 * view `completeness`; local/completeness.ts), so it stays exact when senders resend.
 */
export interface LedgerEntry {
  ledger_version: 2;
  request_id: string;
  /** `ingest` for a sender's request; `redrive` for quarantined messages put back by `npm run redrive`. */
  source: 'ingest' | 'redrive';
  customer_id: string;
  /** UTC date of `received_at`. */
  dt: string;
  received_at: string;
  /** The HTTP status the request was answered with. */
  status: number;
  /** Distinct events stored under this request id. */
  accepted: number;
  quarantined: number;
  /** Messages whose messageId repeated within the request: stored once. */
  duplicates: number;
}
