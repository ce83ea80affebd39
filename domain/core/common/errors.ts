import type { BreakerOpenError, DependencyTimeoutError } from './deadline';

/**
 * The closed set of request-level errors. Each knows its HTTP status, a stable code, and whether
 * Segment retries it (Segment retries 429 and 5xx except 501; it drops every other 4xx — see
 * docs/error-handling.md). Every handler (ingest, admin) and the local server map these to answers in
 * one place: `toHttpAnswer`.
 * The `message` is shown in the customer's Segment debugger, so it must be useful and never internal.
 */
export type ErrorCode =
  | 'empty_body'
  | 'invalid_encoding'
  | 'invalid_json'
  | 'invalid_body_shape'
  | 'empty_batch'
  | 'too_many_messages'
  | 'payload_too_large'
  | 'invalid_message'
  | 'unsupported_type'
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'customer_disabled'
  | 'sink_unavailable'
  | 'key_check_unavailable'
  | 'server_busy'
  | 'rate_limited'
  | 'invalid_input'
  | 'not_found'
  | 'internal_error';

export abstract class IngestError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;
  /** Whether Segment (and SDKs) will send the same request again. */
  get retryable(): boolean {
    return this.status === 429 || (this.status >= 500 && this.status !== 501);
  }
}

/** The body cannot be read as Segment messages (400: Segment drops it, so the message must say why). */
export class BadRequestError extends IngestError {
  readonly status = 400;
  constructor(
    readonly code:
      | 'empty_body'
      | 'invalid_encoding'
      | 'invalid_json'
      | 'invalid_body_shape'
      | 'empty_batch'
      | 'too_many_messages',
    message: string,
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends IngestError {
  readonly status = 413;
  readonly code = 'payload_too_large' as const;
}

/** A single-message request whose message failed validation (after it was quarantined). */
export class InvalidMessageError extends IngestError {
  readonly status = 400;
  readonly code = 'invalid_message' as const;
}

/** A single-message request with a `type` outside the Segment Spec (after it was quarantined). */
export class UnsupportedTypeError extends IngestError {
  readonly status = 501;
  readonly code = 'unsupported_type' as const;
}

export class UnauthorizedError extends IngestError {
  readonly status = 401;
  constructor(
    readonly code: 'missing_api_key' | 'invalid_api_key',
    message: string,
  ) {
    super(message);
  }
}

export class ForbiddenError extends IngestError {
  readonly status = 403;
  readonly code = 'customer_disabled' as const;
}

/** The sink did not acknowledge every record within the retry budget: Segment retries for ~4 hours. */
export class SinkUnavailableError extends IngestError {
  readonly status = 503;
  readonly code = 'sink_unavailable' as const;
  constructor(
    readonly retryAfterSeconds: number,
    /** The store was throttling (out of capacity), not failing. */
    readonly throttled = false,
    /** The store gave no answer within the request's deadline, or its breaker is open (deadline.ts). */
    readonly noAnswer?: DependencyTimeoutError | BreakerOpenError,
  ) {
    super('The destination is temporarily unable to store events; they were not accepted. Please retry.');
  }
}

/**
 * The API key could not be checked in time (the key store did not answer the authorizer): nothing was
 * read or stored, and Segment retries after Retry-After.
 */
export class KeyCheckUnavailableError extends IngestError {
  readonly status = 503;
  readonly code = 'key_check_unavailable' as const;
  constructor(readonly retryAfterSeconds: number) {
    super('The destination could not check the API key just now; nothing was accepted. Please retry.');
  }
}

/**
 * The local server holds as many request bodies as its memory bound allows (local/body-budget.ts): this
 * one was not read into memory, and Segment retries after Retry-After.
 */
export class ServerBusyError extends IngestError {
  readonly status = 503;
  readonly code = 'server_busy' as const;
  constructor(readonly retryAfterSeconds: number) {
    super(
      'The destination is handling as many large requests as its memory allows; nothing was accepted. Please retry.',
    );
  }
}

/** The customer sends above its fair share of the destination: Segment retries after Retry-After. */
export class RateLimitedError extends IngestError {
  readonly status = 429;
  readonly code = 'rate_limited' as const;
  constructor(readonly retryAfterSeconds: number) {
    super(
      'This source sends faster than its share of the destination; the events were not accepted. Please retry.',
    );
  }
}

/** A mistake in an admin request (bad customer id, unknown command): the message says what to fix. */
export class AdminInputError extends IngestError {
  readonly status: number = 400;
  readonly code: ErrorCode = 'invalid_input';
}

/** The key, customer or route named does not exist. */
export class NotFoundError extends AdminInputError {
  override readonly status = 404;
  override readonly code = 'not_found' as const;
}

/** Anything unexpected. The message is fixed: internals never reach the customer. */
export class InternalError extends IngestError {
  readonly status = 500;
  readonly code = 'internal_error' as const;
  /** For our logs only; never sent to the customer. */
  constructor(readonly detail = 'unexpected') {
    super('An internal error occurred; the events were not accepted. Please retry.');
  }
}
