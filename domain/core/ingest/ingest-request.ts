import {
  BadRequestError,
  InvalidMessageError,
  RateLimitedError,
  SinkUnavailableError,
  UnsupportedTypeError,
} from '../common/errors';
import { type HttpAnswer, jsonTextAnswer } from '../common/http-answer';
import type { Clock, Logger, Metrics, RecordSink } from '../common/ports';
import type { ErasureLog } from '../erasure/erasure-log';
import {
  eventLines,
  type LedgerCounts,
  ledgerLine,
  quarantineLine,
  unreadableBody,
} from '../lake/lake-lines';
import { type LakeLine, packRecords } from '../lake/pack-records';
import type { CompiledPlan } from '../quality/tracking-plan';
import { deliver, type RetryPolicy } from './deliver';
import type { FairShare } from './fair-share';
import { type IngestReport, reportJson } from './ingest-report';
import type { Limits } from './limits';
import { parseBody } from './parse-body';
import { type PreparedMessages, prepareMessages } from './prepare-messages';
import { type RawBody, readBody } from './read-body';

export interface IngestRequest extends RawBody {
  customerId: string;
  /** Unique per request (API Gateway's request id): every lake line of the request carries it. */
  requestId: string;
  aliases: ReadonlyMap<string, string>;
  /** The customer's tracking plan, compiled (from the authorizer's verdict). */
  plan?: CompiledPlan | undefined;
  /** `track` for `POST /v1/track`: the type of messages that do not name one. */
  routeType?: string | undefined;
}

export interface IngestDeps {
  sink: RecordSink;
  clock: Clock;
  retry: RetryPolicy;
  limits: Limits;
  logger: Logger;
  /** Counts for dashboards and alarms; none when omitted. */
  metrics?: Metrics;
  /** Each customer's share of the stage, across instances; no limit when omitted. */
  fairShare?: Pick<FairShare, 'take'> | undefined;
  /** Where Segment `delete` requests are recorded; without one, a delete is answered 503 (never lost). */
  erasures?: ErasureLog | undefined;
}

/**
 * One request, start to answer: decode, validate, normalize, quarantine, pack, deliver. Answers 2xx
 * only after the sink acknowledged every record; a lone invalid message is quarantined, then refused
 * with 400 (or 501 for an unsupported type) and a message the customer can act on.
 *
 * The request's ledger line is stored last, only once everything else was acknowledged: a request that
 * ends in 503 or 500 (which the sender retries) leaves no ledger line, so the ledger counts exactly the
 * requests that were answered for good. With an all-or-nothing sink (the local spool) it goes in the
 * same put as the rest, which holds the same rule with one commit instead of two.
 */
export async function ingestRequest(request: IngestRequest, deps: IngestDeps): Promise<HttpAnswer> {
  const receivedAt = deps.clock.now();
  deps.metrics?.count('Requests', 1);
  const text = readBody(request, deps.limits);
  let parsed: ReturnType<typeof parseBody>;
  try {
    parsed = parseBody(text, deps.limits);
  } catch (error) {
    if (
      error instanceof BadRequestError &&
      (error.code === 'invalid_json' || error.code === 'invalid_body_shape')
    ) {
      const entry = unreadableBody(request.customerId, request.requestId, receivedAt, text, error);
      await store([quarantineLine(entry, deps.sink.maxRecordBytes)], deps);
      const counts: LedgerCounts = { accepted: 0, quarantined: 1, duplicates: 0 };
      await store(
        [ledgerLine(request.customerId, request.requestId, receivedAt, error.status, counts)],
        deps,
      );
      deps.metrics?.count('EventsQuarantined', 1, 'unreadable_body');
    }
    throw error;
  }
  // Above its share: 429 before anything is stored (no quarantine, no ledger line), and Segment resends.
  const share = deps.fairShare
    ? await deps.fairShare.take(request.customerId, parsed.messages.length)
    : undefined;
  if (share && !share.ok) {
    deps.metrics?.count('RateLimited', 1);
    throw new RateLimitedError(share.retryAfterSeconds);
  }
  const erased = deps.erasures
    ? await erasedFilter(request.customerId, deps.erasures, deps.logger)
    : undefined;
  // Named fields, not a spread of the request: the spreads on the request path cost a quarter of a
  // 1-message request (docs/performance.md).
  const prepared = prepareMessages(parsed, {
    customerId: request.customerId,
    requestId: request.requestId,
    aliases: request.aliases,
    plan: request.plan,
    routeType: request.routeType,
    receivedAt,
    maxMessageBytes: deps.limits.maxMessageBytes,
    erased,
  });
  // Deletes are recorded before anything is answered, and never go to the lake.
  if (prepared.deletions.length > 0) await recordDeletions(prepared, deps);
  const lines: LakeLine[] = eventLines(prepared);
  for (const entry of prepared.quarantine) lines.push(quarantineLine(entry, deps.sink.maxRecordBytes));
  const firstError = prepared.errors[0];
  const refusal =
    parsed.shape === 'single' && firstError
      ? firstError.code === 'unsupported_type'
        ? new UnsupportedTypeError(firstError.reason)
        : new InvalidMessageError(firstError.reason)
      : undefined;
  const ledgerEntry = ledgerLine(request.customerId, request.requestId, receivedAt, refusal?.status ?? 200, {
    accepted: prepared.events.length,
    quarantined: prepared.quarantine.length,
    duplicates: prepared.duplicates,
  });
  let stats: Awaited<ReturnType<typeof store>>;
  if (deps.sink.allOrNothing) stats = await store([...lines, ledgerEntry], deps);
  else {
    stats = await store(lines, deps);
    await store([ledgerEntry], deps);
  }
  countOutcome(deps.metrics, prepared, stats.retriedRecords);
  deps.logger.info('ingested', {
    customerId: request.customerId,
    shape: parsed.shape,
    accepted: prepared.events.length,
    quarantined: prepared.quarantine.length,
    duplicates: prepared.duplicates,
    quarantineReasons: prepared.errors.map((e) => e.code),
    records: stats.records,
    attempts: stats.attempts,
    retriedRecords: stats.retriedRecords,
  });
  if (refusal) throw refusal;
  const report: IngestReport = {
    accepted: prepared.events.length,
    duplicates: prepared.duplicates,
    quarantined: prepared.quarantine.length,
    deletes: prepared.deletions.length,
    erased: prepared.erasedOnArrival,
    errors: prepared.errors,
  };
  return jsonTextAnswer(200, reportJson(report));
}

async function erasedFilter(customerId: string, erasures: ErasureLog, logger: Logger) {
  try {
    return await erasures.erasedFilter(customerId);
  } catch (error) {
    // The request is not refused for this: the next erase pass removes what lands meanwhile.
    logger.warn('erasure list unavailable; resends of erased users are not dropped on arrival', {
      detail: (error as Error).message,
    });
    return undefined;
  }
}

async function recordDeletions(prepared: PreparedMessages, deps: IngestDeps): Promise<void> {
  if (!deps.erasures) throw new SinkUnavailableError(DEFAULT_DELETE_RETRY_SECONDS, false);
  try {
    await deps.erasures.record(prepared.deletions);
  } catch (error) {
    deps.logger.error('delete requests not recorded; answering retryable', {
      detail: (error as Error).message,
    });
    throw new SinkUnavailableError(DEFAULT_DELETE_RETRY_SECONDS, false);
  }
  deps.metrics?.count('DeletesRecorded', prepared.deletions.length);
}

// Segment resends a 503 with back-off for hours: a short hint is enough for a store that blinked.
const DEFAULT_DELETE_RETRY_SECONDS = 30;

async function store(lines: LakeLine[], deps: IngestDeps) {
  const records = packRecords(lines, deps.sink.maxRecordBytes);
  try {
    const { attempts, retriedRecords } = await deliver(records, deps.sink, deps.retry, deps.clock);
    return { records: records.length, attempts, retriedRecords };
  } catch (error) {
    if (error instanceof SinkUnavailableError)
      deps.metrics?.count(error.throttled ? 'SinkThrottled' : 'SinkBudgetExhausted', 1);
    else deps.metrics?.count('InternalErrors', 1);
    throw error;
  }
}

function countOutcome(
  metrics: Metrics | undefined,
  prepared: PreparedMessages,
  retriedRecords: number,
): void {
  if (!metrics) return;
  metrics.count('EventsAccepted', prepared.events.length);
  if (prepared.duplicates > 0) metrics.count('DuplicatesInRequest', prepared.duplicates);
  if (prepared.erasedOnArrival > 0) metrics.count('EventsErasedOnArrival', prepared.erasedOnArrival);
  if (retriedRecords > 0) metrics.count('SinkRetriedRecords', retriedRecords);
  const byReason = new Map<string, number>();
  for (const e of prepared.errors) byReason.set(e.code, (byReason.get(e.code) ?? 0) + 1);
  for (const [reason, n] of byReason) metrics.count('EventsQuarantined', n, reason);
}
