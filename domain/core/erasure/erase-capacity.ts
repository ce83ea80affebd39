/**
 * How fast the erase pass on AWS works through customers, and why its numbers (docs/privacy.md,
 * "Throughput"). A pass is one customer's: ~6 Athena statements (link, count, delete, rewrite, two
 * verifies) and a rewrite of its objects, ~5 minutes (PASS_MINUTES, assumed: no Athena here to measure).
 */

/** Customers erased at once: Athena runs 20 DML statements at a time per account; 8 leaves the rest. */
export const ERASE_CONCURRENCY = 8;
/** A pass, start to end (assumed). */
export const PASS_MINUTES = 5;
/**
 * Customers one hourly run takes: 6 rounds of 8, ~30 minutes — so the lease it holds leaves the other
 * half of the hour to the compaction (live curated data keeps up), and a run is done before the next.
 */
export const CUSTOMERS_PER_RUN = ERASE_CONCURRENCY * 6;

/** Minutes one run holds the lease with `customers` due (at most CUSTOMERS_PER_RUN of them). */
export function runMinutes(customers: number): number {
  return Math.ceil(Math.min(customers, CUSTOMERS_PER_RUN) / ERASE_CONCURRENCY) * PASS_MINUTES;
}

/**
 * Hours until the last of `customers` (each with a delete that fell due at the same moment) is
 * erased: one run an hour, CUSTOMERS_PER_RUN each. A delete falls due a third into the window
 * (`dueAfterMs`), so the window holds when due + this ≤ the window.
 */
export function hoursToErase(customers: number): number {
  return Math.ceil(customers / CUSTOMERS_PER_RUN);
}
