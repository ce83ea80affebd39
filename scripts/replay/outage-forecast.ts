import { type BreakerSettings, DEFAULT_BREAKER } from '../../domain/core/common/breaker';
import { type DeadlinePolicy, INGEST_DEADLINE } from '../../domain/core/ingest/request-deadline';

/** What a dependency of the ingest function is doing. */
type DependencyState = 'healthy' | 'throttling' | 'slow' | 'down';
/** Kinesis (or Firehose): the events' and the ledger's puts. DynamoDB: the erased-user filter's read. */
type Dependency = 'kinesis' | 'dynamodb';

export interface OutageInputs {
  /** Requests per second that reach the ingest function. */
  requestsPerSecond: number;
  /** Measured: the ingest core per request. */
  coreMs: number;
  /** Assumed: one healthy Kinesis put, one healthy DynamoDB read. */
  sinkMs: number;
  dynamoMs: number;
  /** A slow dependency answers every call after this long. */
  slowMs: number;
  /** Concurrent executions the account leaves the ingest function (its limit less the reserved ones). */
  budget: number;
  policy?: DeadlinePolicy;
  breaker?: BreakerSettings;
}

export interface StateForecast {
  dependency: Dependency;
  state: DependencyState;
  /** How long a request holds an instance, and what it is answered. */
  holdMs: number;
  answer: 200 | 503;
  /** Concurrent executions once the state has settled (breakers open where they open). */
  concurrency: number;
  /** Only for `down`: before each instance's breaker has opened. */
  onset?: { holdMs: number; wanted: number; seconds: number };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * A request's hold in one state of one dependency, with its breaker closed or open — the arithmetic of
 * domain/core/ingest/request-deadline.ts: the events' put gets the deadline less the ledger's reserve,
 * the ledger's put what is left (at least the floor), the erased-user filter its own share (and the
 * request goes on without it).
 *
 * @internal
 */
export function requestHold(
  dependency: Dependency,
  state: DependencyState,
  breakerOpen: boolean,
  s: OutageInputs,
): { holdMs: number; answer: 200 | 503 } {
  const p = s.policy ?? INGEST_DEADLINE;
  const healthy = s.coreMs + s.dynamoMs + 2 * s.sinkMs;
  if (dependency === 'kinesis') {
    switch (state) {
      case 'healthy':
        return { holdMs: healthy, answer: 200 };
      case 'throttling':
        // Every record throttled: answered after one put (deliver.ts).
        return { holdMs: s.coreMs + s.dynamoMs + s.sinkMs, answer: 503 };
      case 'slow': {
        const eventsShare = p.totalMs - p.ledgerReserveMs;
        if (s.slowMs > eventsShare) return { holdMs: s.coreMs + s.dynamoMs + eventsShare, answer: 503 };
        const ledgerShare = Math.max(p.storeFloorMs, p.totalMs - s.slowMs);
        return s.slowMs <= ledgerShare
          ? { holdMs: s.coreMs + s.dynamoMs + 2 * s.slowMs, answer: 200 }
          : { holdMs: s.coreMs + s.dynamoMs + s.slowMs + ledgerShare, answer: 503 };
      }
      case 'down':
        return breakerOpen
          ? { holdMs: s.coreMs + s.dynamoMs, answer: 503 }
          : { holdMs: s.coreMs + s.dynamoMs + p.totalMs - p.ledgerReserveMs, answer: 503 };
    }
  }
  // DynamoDB: the filter is read (its answer is cached a minute per customer; the worst case reads it
  // for every request). Past its share the request goes on without it: never a 503 for this.
  const puts = s.coreMs + 2 * s.sinkMs;
  switch (state) {
    case 'healthy':
      return { holdMs: healthy, answer: 200 };
    case 'throttling':
      return { holdMs: puts + s.dynamoMs, answer: 200 };
    case 'slow':
      return { holdMs: puts + Math.min(s.slowMs, p.erasureFilterMs), answer: 200 };
    case 'down':
      return { holdMs: puts + (breakerOpen ? 0 : p.erasureFilterMs), answer: 200 };
  }
}

/**
 * Every dependency in every state: the hold, the answer, and the concurrency it asks for. A dependency
 * that is down opens the breakers, instance by instance, after `timeouts` timeouts each (the onset);
 * then each instance lets one probe through per open period, so the settled concurrency is the open
 * hold × the rate plus the probes of the instances the onset left (at most the budget).
 */
export function forecastOutages(s: OutageInputs): StateForecast[] {
  const b = s.breaker ?? DEFAULT_BREAKER;
  const out: StateForecast[] = [];
  for (const dependency of ['kinesis', 'dynamodb'] as const)
    for (const state of ['healthy', 'throttling', 'slow', 'down'] as const) {
      const closed = requestHold(dependency, state, false, s);
      const timesOut =
        state === 'down' ||
        (state === 'slow' &&
          (dependency === 'kinesis'
            ? closed.answer === 503
            : s.slowMs > (s.policy ?? INGEST_DEADLINE).erasureFilterMs));
      if (!timesOut) {
        out.push({
          dependency,
          state,
          ...closed,
          concurrency: round((s.requestsPerSecond * closed.holdMs) / 1000),
        });
        continue;
      }
      const open = requestHold(dependency, 'down', true, s);
      const wanted = (s.requestsPerSecond * closed.holdMs) / 1000;
      const instances = Math.min(s.budget, wanted);
      const probes = (instances * closed.holdMs) / (b.openMs + closed.holdMs);
      out.push({
        dependency,
        state,
        holdMs: open.holdMs,
        answer: dependency === 'kinesis' ? 503 : 200,
        concurrency: round((s.requestsPerSecond * open.holdMs) / 1000 + probes),
        onset: {
          holdMs: closed.holdMs,
          wanted: round(wanted),
          seconds: round((b.timeouts * closed.holdMs) / 1000),
        },
      });
    }
  return out;
}
