import type { ErasureRequest } from '../../contract/erasure';

/**
 * Whether a message arriving now is about a user already asked to be erased, and Segment received it
 * before the delete (a resend of old data): such messages are dropped on arrival.
 */
export type ErasedFilter = (
  userId: string | null,
  anonymousId: string | null,
  /** When Segment received the message (epoch ms): its `receivedAt`, else ours. */
  receivedAtMs: number,
) => boolean;

/**
 * Where delete requests are recorded (a file under DATA_DIR locally, a DynamoDB table on AWS). Ingest
 * answers 200 to a delete only after `record` resolved.
 */
export interface ErasureLog {
  /** Stores the requests durably; one already recorded (same customer and messageId) stays as it was. */
  record(requests: readonly Omit<ErasureRequest, 'user_hash'>[], signal?: AbortSignal): Promise<void>;
  /**
   * The customer's filter for resends of erased users' data; undefined when it has no delete requests.
   * `signal` aborts the calls when the request's deadline passes (both methods).
   */
  erasedFilter(customerId: string, signal?: AbortSignal): Promise<ErasedFilter | undefined>;
}
