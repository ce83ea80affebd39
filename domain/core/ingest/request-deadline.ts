import { Breaker, type BreakerSettings, DEFAULT_BREAKER } from '../common/breaker';
import type { Clock } from '../common/ports';

/**
 * How long one ingest request may take, from its handler's start, and how that time is shared among
 * its dependencies (docs/decisions/0007-deadline-and-breakers.md has the arithmetic):
 *
 * concurrency = hold × rate. At 5,000 requests/s, the 950 executions the account leaves the ingest
 * function are used up by an average hold of 190 ms; a request that may wait seconds on a slow
 * dependency takes every customer down with it. So each request ends within `totalMs` whatever its
 * dependencies do, and a dependency that keeps timing out is not asked at all for a while (the
 * breakers, ../common/breaker.ts).
 */
export interface DeadlinePolicy {
  /** From the handler's start to the end of the last dependency call. */
  totalMs: number;
  /**
   * Kept back from everything before the ledger line (the events' put, a delete's record) so that the
   * ledger line, stored last, has time of its own.
   */
  ledgerReserveMs: number;
  /**
   * The least time a put (events, ledger) or a delete's record gets, even when the request's own work
   * — parsing and validating a maximal batch takes longer than the deadline — used it all: a request
   * must never be refused for its size alone (Segment would resend it forever). The hold is then that
   * work plus these floors.
   */
  storeFloorMs: number;
  /** The most the fair share's lease may take; past it the request is admitted (it fails open). */
  fairShareMs: number;
  /** The most the erased-user filter may take; past it the request goes on without it. */
  erasureFilterMs: number;
  /** The `Retry-After` of a 503 for a dependency that did not answer. */
  retryAfterSeconds: number;
}

export const INGEST_DEADLINE: DeadlinePolicy = {
  // With the authorizer's 400 ms (AUTHORIZER_DEADLINE_MS) a request that misses the authorizer's cache
  // is answered within 1.4 s, inside the 1.5 s promised end to end.
  totalMs: 1_000,
  // A Kinesis put answers in tens of milliseconds; 250 ms is ten times that.
  ledgerReserveMs: 250,
  storeFloorMs: 250,
  // DynamoDB answers single-digit milliseconds in the same region: these are outages, not slow answers.
  fairShareMs: 100,
  erasureFilterMs: 150,
  retryAfterSeconds: 30,
};

/** The authorizer's own deadline: two DynamoDB reads (key, customer) and the `lastUsedAt` bookkeeping. */
export const AUTHORIZER_DEADLINE_MS = 400;

/** The ingest function's dependencies, each behind its own breaker. */
export type IngestDependency = 'sink' | 'erasures' | 'fair_share';

export type IngestBreakers = Readonly<Record<IngestDependency, Breaker>>;

/** One breaker per dependency, kept for the life of an instance (its composition root makes them once). */
export function ingestBreakers(clock: Pick<Clock, 'now'>, settings: BreakerSettings = DEFAULT_BREAKER) {
  return {
    sink: new Breaker(clock, settings),
    erasures: new Breaker(clock, settings),
    fair_share: new Breaker(clock, settings),
  } satisfies IngestBreakers;
}
