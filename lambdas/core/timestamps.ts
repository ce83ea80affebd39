// ISO-8601 date-time as Segment libraries send it: a date, `T`, hours and minutes, optional seconds and
// fraction (any precision), and a zone (`Z` or an offset). Zone-less times are refused: their instant
// is unknowable, and a wrong instant puts the event in the wrong `dt` partition.
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Milliseconds since the epoch for an ISO-8601 date-time, or `undefined` when it is not one.
 *
 * @example parseIsoTimestamp('2026-11-28T10:00:00.123456Z') // 1795860000123
 */
export function parseIsoTimestamp(value: string): number | undefined {
  const match = ISO_DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, dateTime, fraction = '', zone] = match;
  const millis = fraction.slice(0, 3).padEnd(3, '0');
  const offset = zone!.length === 5 ? `${zone!.slice(0, 3)}:${zone!.slice(3)}` : zone!.toUpperCase();
  const ms = Date.parse(`${dateTime}${dateTime!.length === 16 ? ':00' : ''}.${millis}${offset}`);
  return Number.isFinite(ms) ? ms : undefined;
}

export function isIsoTimestamp(value: string): boolean {
  return parseIsoTimestamp(value) !== undefined;
}

export interface TimestampInputs {
  timestamp?: string | undefined;
  originalTimestamp?: string | undefined;
  sentAt?: string | undefined;
  receivedAt?: string | undefined;
}

/**
 * The instant to analyse, as Segment computes it: the message's own `timestamp` when present, else
 * `receivedAt - (sentAt - originalTimestamp)` (clock-skew correction), else `originalTimestamp`, else
 * the time it was received. `receivedAt` is Segment's when the message carries one, else ours.
 *
 * @example correctTimestamp({ originalTimestamp: '2026-01-01T00:00:10Z', sentAt: '2026-01-01T00:00:20Z' }, Date.parse('2026-01-01T00:00:05Z'))
 * // 2025-12-31T23:59:55.000Z: the device clock ran 15 s fast
 */
export function correctTimestamp(message: TimestampInputs, ourReceiveTime: number): number {
  const own = message.timestamp === undefined ? undefined : parseIsoTimestamp(message.timestamp);
  if (own !== undefined) return own;
  const received = (message.receivedAt && parseIsoTimestamp(message.receivedAt)) || ourReceiveTime;
  const original =
    message.originalTimestamp === undefined ? undefined : parseIsoTimestamp(message.originalTimestamp);
  if (original === undefined) return received;
  const sent = message.sentAt === undefined ? undefined : parseIsoTimestamp(message.sentAt);
  return sent === undefined ? original : received - (sent - original);
}

/** The `dt` partition value: the UTC calendar date of an instant, `YYYY-MM-DD`. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
