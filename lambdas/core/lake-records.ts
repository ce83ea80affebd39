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
  /** UTC date of `timestamp`: the partition. */
  dt: string;
  type: MessageType;
  /** track only: the canonical name, the name as sent, and the folded key equal for every spelling. */
  event: string | null;
  event_raw: string | null;
  event_key: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  /** The skew-corrected instant of the event (ISO-8601, UTC). */
  timestamp: string;
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
 * What one acknowledged request stored for one customer and day, in `ledger/customer_id=<id>/dt=<day>/`:
 * the completeness ledger compares these counts with what landed (lib/lake-catalog.ts, view
 * `completeness`). Accepted events are counted under their event date (their partition); quarantined
 * ones under the receive date (theirs).
 */
export interface LedgerEntry {
  ledger_version: 1;
  customer_id: string;
  dt: string;
  received_at: string;
  accepted: number;
  quarantined: number;
  duplicates: number;
}
