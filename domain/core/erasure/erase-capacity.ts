import { dueAfterMs } from '../../contract/erasure';
import { ATHENA_RULES } from '../../contract/sql/athena-rules';
import { SNAPSHOT_AGE_SECONDS } from '../../contract/sql/erasure-sql';

/**
 * How fast the erase pass on AWS works through customers, and why its numbers (docs/privacy.md,
 * "Throughput on AWS"). A pass is one customer's: ~7 Athena statements (link, find the objects,
 * count, delete, rewrite, two verifies) and a rewrite of the objects that hold its users' rows (found
 * by Athena's `"$path"`, not by listing the customer's prefixes), ~5 minutes (PASS_MINUTES, assumed:
 * no Athena here to measure).
 */

/** Customers erased at once: Athena runs 20 DML statements at a time per account; 10 leaves half. */
export const ERASE_CONCURRENCY = 10;
/**
 * Erase steps functions running at once across a run's passes: 20, 2 % of the account's 1,000
 * executions, so a run never takes the concurrency the ingest function counts on (its budget is the
 * account's less the authorizer's reserve: scripts/replay/replay-forecast.ts).
 *
 * @internal
 */
export const ERASE_STEPS_CONCURRENCY = 20;
/** Batches of a pass rewritten at once: its share of ERASE_STEPS_CONCURRENCY. */
export const REWRITE_CONCURRENCY = Math.floor(ERASE_STEPS_CONCURRENCY / ERASE_CONCURRENCY);
/** A pass, start to end (assumed, for a customer with little history: above). */
const PASS_MINUTES = 5;
/**
 * Customers one hourly run takes: 6 rounds of 10, ~30 minutes — so the lease it holds leaves the other
 * half of the hour to the compaction (live curated data keeps up), and a run is done before the next.
 */
export const CUSTOMERS_PER_RUN = ERASE_CONCURRENCY * 6;
/** After a run: the VACUUM machine's wait, the VACUUM (at most a DML statement's time), the purge of old versions. */
const VACUUM_HOURS = (SNAPSHOT_AGE_SECONDS + 600) / 3600 + ATHENA_RULES.dmlTimeout.minutes / 60;
const PURGE_HOURS = 0.25;

/**
 * Minutes one run holds the lease with `customers` due (at most CUSTOMERS_PER_RUN of them).
 *
 * @internal
 */
export function runMinutes(customers: number): number {
  return Math.ceil(Math.min(customers, CUSTOMERS_PER_RUN) / ERASE_CONCURRENCY) * PASS_MINUTES;
}

/**
 * Hourly runs until the last of `customers`, all due at once, has had its pass.
 *
 * @internal
 */
export function runsToErase(customers: number): number {
  return Math.ceil(customers / CUSTOMERS_PER_RUN);
}

/**
 * Hours from the deletes' arrival until the last of `customers`' erased rows has left the bucket: due
 * a third into the window (`dueAfterMs`), then one run an hour, then — after the last run — the
 * VACUUM's wait, the VACUUM, and the deletion of the old versions it leaves. The window holds when this
 * is at most `windowHours`.
 *
 * @internal
 */
export function hoursUntilGone(customers: number, windowHours: number): number {
  const due = dueAfterMs(windowHours) / 3_600_000;
  return due + (runsToErase(customers) - 1) + runMinutes(customers) / 60 + VACUUM_HOURS + PURGE_HOURS;
}
