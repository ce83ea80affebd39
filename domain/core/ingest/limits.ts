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
  // The body travels inside API Gateway's event, which Lambda takes up to 6 MB
  // (AWS_QUOTAS.lambdaSyncPayloadBytes). A gzip body is base64-encoded there (4/3): 4 MiB becomes
  // 5.34 MiB, leaving ~390 KB for the event's headers (HTTP APIs allow 10 KB of them). A JSON text body is
  // escaped (quotes and backslashes doubled): a Segment batch grows ~15 %, so 4 MiB fits; a body made
  // mostly of quotes or backslashes can double and be refused before it reaches us — gzip it.
  // test/contract/body-limit.test.ts measures all three.
  maxBodyBytes: 4 * 1024 * 1024,
  // Segment Actions batches reach several MB of JSON; 32 MiB inflated leaves room and bounds memory.
  maxInflatedBytes: 32 * 1024 * 1024,
  // Segment's Tracking API refuses messages over 32 KB; we quarantine them with that reason.
  maxMessageBytes: 32 * 1024,
  // 32 MiB / a minimal ~100 B message; a batch this large is not something any Segment client sends.
  maxMessagesPerRequest: 100_000,
};
