import { Deadline, isNoAnswer } from '../common/deadline';
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
import { type DeliveryDeadline, deliver, type RetryPolicy } from './deliver';
import type { FairShare } from './fair-share';
import { type IngestReport, reportJson } from './ingest-report';
import type { Limits } from './limits';
import { parseBody } from './parse-body';
import { type PreparedMessages, prepareMessages } from './prepare-messages';
import { type RawBody, readBody } from './read-body';
import type { DeadlinePolicy, IngestBreakers, IngestDependency } from './request-deadline';

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
  /**
   * One deadline per request, and a breaker per dependency (request-deadline.ts): the AWS function's.
   * None locally: the spool's put is a local write that must not be abandoned half-way (it would store
   * a request answered 503, ledger line included).
   */
  deadline?: { policy: DeadlinePolicy; breakers: IngestBreakers } | undefined;
}

/** What one request's calls share: its deadline and the instance's breakers. */
interface Within {
  deadline: Deadline;
  policy: DeadlinePolicy;
  breakers: IngestBreakers;
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
  const within: Within | undefined = deps.deadline && {
    deadline: Deadline.after(deps.clock, deps.deadline.policy.totalMs),
    ...deps.deadline,
  };
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
      await store([quarantineLine(entry, deps.sink.maxRecordBytes)], deps, sinkWithin(within, true));
      const counts: LedgerCounts = { accepted: 0, quarantined: 1, duplicates: 0 };
      await store(
        [ledgerLine(request.customerId, request.requestId, receivedAt, error.status, counts)],
        deps,
        sinkWithin(within, false),
      );
      deps.metrics?.count('EventsQuarantined', 1, 'unreadable_body');
    }
    throw error;
  }
  // Above its share: 429 before anything is stored (no quarantine, no ledger line), and Segment resends.
  const share = deps.fairShare
    ? await takeShare(deps.fairShare, request.customerId, parsed.messages.length, deps, within)
    : undefined;
  if (share && !share.ok) {
    deps.metrics?.count('RateLimited', 1);
    throw new RateLimitedError(share.retryAfterSeconds);
  }
  const erased = deps.erasures
    ? await erasedFilter(request.customerId, deps.erasures, deps, within)
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
  if (prepared.deletions.length > 0) await recordDeletions(prepared, deps, within);
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
  if (deps.sink.allOrNothing) stats = await store([...lines, ledgerEntry], deps, sinkWithin(within, false));
  else {
    stats = await store(lines, deps, sinkWithin(within, true));
    await store([ledgerEntry], deps, sinkWithin(within, false));
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

/** The sink's share of the request: the events' put keeps the ledger line's time back. */
function sinkWithin(within: Within | undefined, beforeLedger: boolean): DeliveryDeadline | undefined {
  if (!within) return undefined;
  return {
    deadline: within.deadline,
    breaker: within.breakers.sink,
    dependency: 'sink',
    floorMs: within.policy.storeFloorMs,
    ...(beforeLedger ? { reserveMs: within.policy.ledgerReserveMs } : {}),
  };
}

/**
 * A call of one of the request's dependencies: within the deadline's share for it (`capMs`, or all but
 * the ledger's reserve with the stores' floor) and through its breaker — or plainly, without a deadline.
 */
function callDependency<T>(
  within: Within | undefined,
  dependency: IngestDependency,
  work: (signal?: AbortSignal) => Promise<T>,
  capMs?: number,
): Promise<T> {
  if (!within) return work();
  return within.deadline.call(dependency, work, {
    breaker: within.breakers[dependency],
    ...(capMs === undefined
      ? { reserveMs: within.policy.ledgerReserveMs, floorMs: within.policy.storeFloorMs }
      : { capMs }),
  });
}

/** A call to a dependency that had no answer in time (or whose breaker is open), counted. */
function countNoAnswer(error: unknown, metrics: Metrics | undefined): boolean {
  if (!isNoAnswer(error)) return false;
  metrics?.count(
    error.name === 'BreakerOpenError' ? 'BreakerOpen' : 'DependencyTimedOut',
    1,
    error.dependency,
  );
  return true;
}

/** The fair share within its slice of the deadline; it fails open, as it does when its counter fails. */
async function takeShare(
  fairShare: Pick<FairShare, 'take'>,
  customerId: string,
  events: number,
  deps: IngestDeps,
  within: Within | undefined,
) {
  try {
    return await callDependency(
      within,
      'fair_share',
      (signal) => fairShare.take(customerId, events, signal),
      within?.policy.fairShareMs,
    );
  } catch (error) {
    // Without a deadline FairShare.take admits on its own when its counter fails; it never throws.
    if (!countNoAnswer(error, deps.metrics)) throw error;
    deps.metrics?.count('FairShareUnavailable', 1);
    return { ok: true } as const;
  }
}

async function erasedFilter(
  customerId: string,
  erasures: ErasureLog,
  deps: IngestDeps,
  within: Within | undefined,
) {
  try {
    return await callDependency(
      within,
      'erasures',
      (signal) => erasures.erasedFilter(customerId, signal),
      within?.policy.erasureFilterMs,
    );
  } catch (error) {
    countNoAnswer(error, deps.metrics);
    // The request is not refused for this: the next erase pass removes what lands meanwhile.
    deps.logger.warn('erasure list unavailable; resends of erased users are not dropped on arrival', {
      detail: (error as Error).message,
    });
    return undefined;
  }
}

async function recordDeletions(prepared: PreparedMessages, deps: IngestDeps, within: Within | undefined) {
  const erasures = deps.erasures;
  if (!erasures) throw new SinkUnavailableError(DEFAULT_DELETE_RETRY_SECONDS, false);
  try {
    await callDependency(within, 'erasures', (signal) => erasures.record(prepared.deletions, signal));
  } catch (error) {
    countNoAnswer(error, deps.metrics);
    deps.logger.error('delete requests not recorded; answering retryable', {
      detail: (error as Error).message,
    });
    throw new SinkUnavailableError(within?.policy.retryAfterSeconds ?? DEFAULT_DELETE_RETRY_SECONDS, false);
  }
  deps.metrics?.count('DeletesRecorded', prepared.deletions.length);
}

// Segment resends a 503 with back-off for hours: a short hint is enough for a store that blinked.
const DEFAULT_DELETE_RETRY_SECONDS = 30;

async function store(lines: LakeLine[], deps: IngestDeps, within: DeliveryDeadline | undefined) {
  const records = packRecords(lines, deps.sink.maxRecordBytes);
  try {
    const { attempts, retriedRecords } = await deliver(records, deps.sink, deps.retry, deps.clock, within);
    return { records: records.length, attempts, retriedRecords };
  } catch (error) {
    if (error instanceof SinkUnavailableError) {
      if (error.noAnswer) countNoAnswer(error.noAnswer, deps.metrics);
      else deps.metrics?.count(error.throttled ? 'SinkThrottled' : 'SinkBudgetExhausted', 1);
    } else deps.metrics?.count('InternalErrors', 1);
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
