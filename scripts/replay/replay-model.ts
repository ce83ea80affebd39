import { utcDate } from '../../lambdas/core/messages/timestamps';

export interface ReplayScenario {
  /** Customers whose history is replayed. */
  customers: number;
  /** Years of history each one replays. */
  years: number;
  /** Events per day of history, per customer. */
  eventsPerDay: number;
  /** Events per second Segment replays for one customer. */
  replayEventsPerSecond: number;
  /** Customers replaying at the same time (the rest wait their turn). */
  concurrentReplays: number;
  /** Firehose buffer interval (s): the window in which partitions count as active together. */
  bufferSeconds: number;
  /** `chronological`: oldest first, as Replay sends; `shuffled`: any order (worst case). */
  order: 'chronological' | 'shuffled';
  /** Live traffic per customer (events/s) arriving during the replay, into today's partition. */
  liveEventsPerSecond: number;
  /** Customers sending live traffic (not only the ones replaying). */
  liveCustomers: number;
  eventBytes: number;
  /** The replay's "now", which ends the history. */
  now: number;
}

export interface ReplayReport {
  /** Most customer-day partitions active within one buffer window. */
  peakActivePartitions: number;
  /** Seconds until every replay is done. */
  durationSeconds: number;
  /** Peak ingest rate, events/s and MiB/s, replay plus live traffic. */
  peakEventsPerSecond: number;
  peakMiBPerSecond: number;
  /** Buffer windows simulated. */
  windows: number;
}

const DAY_MS = 86_400_000;

/**
 * Pushes a modelled Replay through the partitioning scheme (`customer_id` × UTC date of the event's
 * timestamp, the same `utcDate` the ingest uses) one Firehose buffer window at a time, and reports the
 * peak number of partitions active together — Firehose allows 500 per stream by default, 5,000 at most.
 */
export function simulateReplay(s: ReplayScenario): ReplayReport {
  const historyDays = Math.round(s.years * 365);
  const perCustomerEvents = historyDays * s.eventsPerDay;
  const replaySeconds = perCustomerEvents / s.replayEventsPerSecond;
  const waves = Math.ceil(s.customers / s.concurrentReplays);
  const durationSeconds = waves * replaySeconds;
  const historyStart = s.now - historyDays * DAY_MS;
  const eventsPerWindow = s.replayEventsPerSecond * s.bufferSeconds;
  const windows = Math.ceil(durationSeconds / s.bufferSeconds);
  // Today's partition of every live customer is active in every window.
  const live = s.liveEventsPerSecond > 0 ? s.liveCustomers : 0;
  let peak = 0;
  for (let w = 0; w < windows; w++) {
    const t = w * s.bufferSeconds;
    const wave = Math.floor(t / replaySeconds);
    const replaying = Math.min(s.concurrentReplays, s.customers - wave * s.concurrentReplays);
    if (replaying <= 0) break;
    const first = (t - wave * replaySeconds) * s.replayEventsPerSecond;
    const last = Math.min(first + eventsPerWindow, perCustomerEvents) - 1;
    let days: number;
    if (s.order === 'chronological') {
      const from = utcDate(historyStart + (first / s.eventsPerDay) * DAY_MS);
      const to = utcDate(historyStart + (last / s.eventsPerDay) * DAY_MS);
      days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
    } else {
      // n events drawn at random from D days touch D·(1 − (1 − 1/D)^n) distinct days on average.
      const n = last - first + 1;
      days = Math.min(historyDays, Math.ceil(historyDays * (1 - (1 - 1 / historyDays) ** n)));
    }
    peak = Math.max(peak, replaying * days + live);
  }
  const peakEventsPerSecond =
    s.concurrentReplays * s.replayEventsPerSecond + s.liveCustomers * s.liveEventsPerSecond;
  return {
    peakActivePartitions: peak,
    durationSeconds,
    peakEventsPerSecond,
    peakMiBPerSecond: (peakEventsPerSecond * s.eventBytes) / 2 ** 20,
    windows,
  };
}
