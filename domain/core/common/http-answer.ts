import {
  IngestError,
  InternalError,
  KeyCheckUnavailableError,
  RateLimitedError,
  ServerBusyError,
  SinkUnavailableError,
} from './errors';

/** An HTTP answer in the shape API Gateway (payload 2.0) expects from a Lambda integration. */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function jsonAnswer(statusCode: number, body: unknown, headers?: Record<string, string>): HttpAnswer {
  return jsonTextAnswer(statusCode, JSON.stringify(body), headers);
}

/** An answer whose body is JSON the caller wrote already (an ingest report: ingest-report.ts). */
export function jsonTextAnswer(
  statusCode: number,
  json: string,
  headers?: Record<string, string>,
): HttpAnswer {
  // Every answer gets its own headers object (a caller may add to it); without extra headers, no spread.
  return {
    statusCode,
    headers: headers ? { ...JSON_HEADERS, ...headers } : { 'content-type': JSON_HEADERS['content-type'] },
    body: json,
  };
}

/**
 * The one place where errors become answers. Anything that is not one of our errors becomes a fixed
 * 500 (retried by Segment), so an unexpected throw never drops data and never leaks internals.
 *
 * @example toHttpAnswer(new SinkUnavailableError(30)) // 503, Retry-After: 30
 */
export function toHttpAnswer(error: unknown): HttpAnswer {
  const known = error instanceof IngestError ? error : new InternalError();
  const headers: Record<string, string> = {};
  if (
    known instanceof SinkUnavailableError ||
    known instanceof KeyCheckUnavailableError ||
    known instanceof RateLimitedError ||
    known instanceof ServerBusyError
  )
    headers['retry-after'] = String(known.retryAfterSeconds);
  return jsonAnswer(known.status, { message: known.message, code: known.code }, headers);
}
