/** Size and count limits, with where each number comes from. All are bytes unless named otherwise. */
export interface Limits {
  /** Largest request body we read, after base64 decoding and before inflating. */
  maxBodyBytes: number;
  /** Largest body after gzip inflation: bounds memory against gzip bombs. */
  maxInflatedBytes: number;
  /** Largest single message (serialized); larger ones are quarantined as `message_too_large`. */
  maxMessageBytes: number;
  /** Most messages in one request. */
  maxMessagesPerRequest: number;
}

export const DEFAULT_LIMITS: Limits = {
  // Lambda's synchronous invocation payload limit is 6 MB, and API Gateway base64-encodes binary
  // bodies, so a gzip body cannot be larger than ~4.5 MB by the time it reaches us anyway.
  maxBodyBytes: 6 * 1024 * 1024,
  // Segment Actions batches reach several MB of JSON; 32 MiB inflated leaves room and bounds memory.
  maxInflatedBytes: 32 * 1024 * 1024,
  // Segment's Tracking API refuses messages over 32 KB; we quarantine them with that reason.
  maxMessageBytes: 32 * 1024,
  // 32 MiB / a minimal ~100 B message; a batch this large is not something any Segment client sends.
  maxMessagesPerRequest: 100_000,
};
