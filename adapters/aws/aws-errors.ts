import type { PutOutcome } from '../../domain/core/common/ports';

/**
 * Which AWS errors a retry can fix, in one table. Names are the SDK's `error.name` for whole-call
 * failures and the `ErrorCode` of per-record failures (Kinesis PutRecords, Firehose PutRecordBatch).
 * Sources: the Kinesis Data Streams and Firehose API references, "Errors" sections.
 */
const AWS_ERROR_CLASSES = {
  // Throttling and capacity: retryable, but answered fast (503 + Retry-After) rather than retried for
  // long inside the request. Firehose signals its throughput quota with ServiceUnavailableException.
  ProvisionedThroughputExceededException: 'throttled',
  ThrottlingException: 'throttled',
  LimitExceededException: 'throttled',
  KMSThrottlingException: 'throttled',
  ServiceUnavailableException: 'throttled',
  ServiceUnavailable: 'throttled',
  // Transient faults on AWS's side or on the way there.
  InternalFailure: 'retryable',
  InternalFailureException: 'retryable',
  InternalServerError: 'retryable',
  RequestTimeout: 'retryable',
  RequestTimeoutException: 'retryable',
  TimeoutError: 'retryable',
  NetworkingError: 'retryable',
  ECONNRESET: 'retryable',
  ECONNREFUSED: 'retryable',
  EPIPE: 'retryable',
  ETIMEDOUT: 'retryable',
  // Misconfiguration: no retry fixes these; the request is answered 500 and alarms should fire.
  ResourceNotFoundException: 'fatal',
  AccessDeniedException: 'fatal',
  UnrecognizedClientException: 'fatal',
  InvalidSignatureException: 'fatal',
  ValidationException: 'fatal',
  InvalidArgumentException: 'fatal',
  InvalidKMSResourceException: 'fatal',
  KMSAccessDeniedException: 'fatal',
  KMSDisabledException: 'fatal',
  KMSInvalidStateException: 'fatal',
  KMSNotFoundException: 'fatal',
  KMSOptInRequired: 'fatal',
  ResourceInUseException: 'fatal',
} as const;

type AwsErrorClass = (typeof AWS_ERROR_CLASSES)[keyof typeof AWS_ERROR_CLASSES];

/**
 * The class of an error name. Names not in the table count as retryable: a 503 lets Segment resend,
 * whereas guessing "fatal" for an unknown transient fault would fail requests that could succeed.
 */
function classifyAwsError(name: string | undefined): AwsErrorClass {
  return (
    (name !== undefined && Object.hasOwn(AWS_ERROR_CLASSES, name)
      ? AWS_ERROR_CLASSES[name as keyof typeof AWS_ERROR_CLASSES]
      : undefined) ?? 'retryable'
  );
}

/** The name to classify for a thrown SDK or network error. */
export function awsErrorName(error: unknown): string {
  const e = error as { name?: string; code?: string } | undefined;
  return (e?.code && Object.hasOwn(AWS_ERROR_CLASSES, e.code) ? e.code : e?.name) ?? 'UnknownError';
}

/** A failed record's outcome: `deliver` retries the retryable ones and answers 500 for the others. */
export function failedOutcome(code: string): PutOutcome {
  const kind = classifyAwsError(code);
  switch (kind) {
    case 'retryable':
      return { ok: false, retryable: true, code };
    case 'throttled':
      return { ok: false, retryable: true, throttled: true, code };
    case 'fatal':
      return { ok: false, retryable: false, code };
    default:
      return assertNever(kind);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected error class ${String(value)}`);
}
