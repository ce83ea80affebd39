import { deliver, type RetryPolicy } from './deliver';
import { BadRequestError, InvalidMessageError, SinkUnavailableError, UnsupportedTypeError } from './errors';
import { type HttpAnswer, jsonAnswer } from './http-answer';
import { eventLines, ledgerLines, quarantineLine, unreadableBody } from './lake-lines';
import type { Limits } from './limits';
import { type LakeLine, packRecords } from './pack-records';
import { parseBody } from './parse-body';
import type { Clock, Logger, Metrics, RecordSink } from './ports';
import { type PreparedMessages, prepareMessages } from './prepare-messages';
import { type RawBody, readBody } from './read-body';

export interface IngestRequest extends RawBody {
  customerId: string;
  aliases: ReadonlyMap<string, string>;
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
}

/** What a 200 tells the sender: counts, and why each refused message was refused. */
export interface IngestReport {
  accepted: number;
  duplicates: number;
  quarantined: number;
  errors: PreparedMessages['errors'];
}

/**
 * One request, start to answer: decode, validate, normalize, quarantine, pack, deliver. Answers 2xx
 * only after the sink acknowledged every record; a lone invalid message is quarantined, then refused
 * with 400 (or 501 for an unsupported type) and a message the customer can act on.
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
      const entry = unreadableBody(request.customerId, receivedAt, text, error);
      const ledger = ledgerLines(request.customerId, receivedAt, {
        events: [],
        quarantine: [entry],
        duplicates: 0,
      });
      await store([quarantineLine(entry, deps.sink.maxRecordBytes), ...ledger], deps);
      deps.metrics?.count('EventsQuarantined', 1, 'unreadable_body');
    }
    throw error;
  }
  const prepared = prepareMessages(parsed, {
    ...request,
    receivedAt,
    maxMessageBytes: deps.limits.maxMessageBytes,
  });
  const lines: LakeLine[] = [
    ...eventLines(prepared),
    ...prepared.quarantine.map((entry) => quarantineLine(entry, deps.sink.maxRecordBytes)),
    ...ledgerLines(request.customerId, receivedAt, prepared),
  ];
  const stats = await store(lines, deps);
  countOutcome(deps.metrics, prepared, stats.retriedRecords);
  deps.logger.info('ingested', {
    customerId: request.customerId,
    shape: parsed.shape,
    accepted: prepared.events.length,
    quarantined: prepared.quarantine.length,
    duplicates: prepared.duplicates,
    quarantineReasons: prepared.errors.map((e) => e.code),
    ...stats,
  });
  const firstError = prepared.errors[0];
  if (parsed.shape === 'single' && firstError) {
    throw firstError.code === 'unsupported_type'
      ? new UnsupportedTypeError(firstError.reason)
      : new InvalidMessageError(firstError.reason);
  }
  const report: IngestReport = {
    accepted: prepared.events.length,
    duplicates: prepared.duplicates,
    quarantined: prepared.quarantine.length,
    errors: prepared.errors,
  };
  return jsonAnswer(200, report);
}

async function store(lines: LakeLine[], deps: IngestDeps) {
  const records = packRecords(lines, deps.sink.maxRecordBytes);
  try {
    const stats = await deliver(records, deps.sink, deps.retry, deps.clock);
    return { records: records.length, ...stats };
  } catch (error) {
    deps.metrics?.count(error instanceof SinkUnavailableError ? 'SinkBudgetExhausted' : 'InternalErrors', 1);
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
  if (retriedRecords > 0) metrics.count('SinkRetriedRecords', retriedRecords);
  const byReason = new Map<string, number>();
  for (const e of prepared.errors) byReason.set(e.code, (byReason.get(e.code) ?? 0) + 1);
  for (const [reason, n] of byReason) metrics.count('EventsQuarantined', n, reason);
}
