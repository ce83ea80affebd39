import { DAY_PATTERN, NO_EVENT_DATE } from '../../contract/formats';
import { boundedMemo } from '../common/bounded-memo';

// ISO-8601 as Segment libraries send it: a date, `T`, hours and minutes, optional seconds and fraction
// (any precision), and a zone (`Z` or an offset). A time without a zone, or a bare date, is read as UTC
// (Segment's libraries always send a zone; other clients may not): quarantining an otherwise good event
// over its zone would hide it from analysis for no gain.
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Milliseconds since the epoch for an ISO-8601 date-time, or `undefined` when it is not one.
 *
 * @example parseIsoTimestamp('2026-11-28T10:00:00.123456Z') // 1795860000123
 */
export function parseIsoTimestamp(value: string): number | undefined {
  // The form every Segment library sends is read from its digits: cheaper than any look-up. Other forms
  // (offsets, bare dates) take the regular expressions, and repeat across a batch (sentAt, receivedAt):
  // those are remembered. Validation, the timestamp correction and the event date each read the same
  // few strings of one message in turn: the last few answers are kept (a comparison, usually by
  // reference, not a hash).
  if (isCanonicalIso(value)) return parseCanonical(value);
  for (let i = 0; i < RECENT_SIZE; i++) if (recentText[i] === value) return recentMs[i];
  const ms = PARSED(value);
  recentNext = (recentNext + 1) % RECENT_SIZE;
  recentText[recentNext] = value;
  recentMs[recentNext] = ms;
  return ms;
}
// A message has four time fields at most.
const RECENT_SIZE = 4;
const recentText: (string | undefined)[] = new Array(RECENT_SIZE).fill(undefined);
const recentMs: (number | undefined)[] = new Array(RECENT_SIZE).fill(undefined);
let recentNext = 0;
const PARSED = boundedMemo(1_000, (value: string) => parseUncached(value));

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (checked by `isCanonicalIso`) as ms since the epoch, if a real instant:
 * what Date.parse gives for it on a real calendar day, computed from its digits. Date.parse reads the
 * string again, and was 2.5 % of a 1-message request (`npm run profile -- --events 1`), where every
 * event's own timestamp is new. `test/domain/core/messages/timestamps.test.ts` holds the two equal over every field's
 * range and past it.
 */
function parseCanonical(value: string): number | undefined {
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  const second = twoDigits(value, 17);
  const ms = twoDigits(value, 20) * 10 + (value.charCodeAt(22) - ZERO);
  // Date.parse takes 24:00:00.000 (the end of a day, i.e. the next one) but no other time past 23:59.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (minute > 59 || second > 59 || hour > 24 || (hour === 24 && minute + second + ms > 0)) return undefined;
  return daysSinceEpoch(year, month, day) * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1_000 + ms;
}

const ZERO = 48;

function twoDigits(value: string, at: number): number {
  return (value.charCodeAt(at) - ZERO) * 10 + (value.charCodeAt(at + 1) - ZERO);
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/**
 * Days from 1970-01-01 to a day of the proleptic Gregorian calendar (years 0–9999 here), as
 * Date.UTC counts them (which cannot be used: it reads years 0–99 as 1900–1999). The algorithm is
 * Howard Hinnant's `days_from_civil` (https://howardhinnant.github.io/date_algorithms.html): a year
 * that starts in March puts the leap day last, and 400 years are 146,097 days.
 */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function parseUncached(value: string): number | undefined {
  if (!isCalendarDate(value.slice(0, 10))) return undefined;
  if (DAY_PATTERN.test(value)) return finite(Date.parse(`${value}T00:00:00.000Z`));
  const match = ISO_DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, dateTime, fraction = '', zone = 'Z'] = match;
  const millis = fraction.slice(0, 3).padEnd(3, '0');
  const offset = zone!.length === 5 ? `${zone!.slice(0, 3)}:${zone!.slice(3)}` : zone!.toUpperCase();
  return finite(Date.parse(`${dateTime}${dateTime!.length === 16 ? ':00' : ''}.${millis}${offset}`));
}

/** `YYYY-MM-DD` naming a real day (Date.parse would roll 2026-02-30 over to March 2). */
function isCalendarDate(date: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function finite(ms: number): number | undefined {
  return Number.isFinite(ms) ? ms : undefined;
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * Milliseconds since the epoch for a timestamp written exactly `YYYY-MM-DDTHH:MM:SS.sssZ` (the form
 * `toISOString` writes); `undefined` for any other form, or when it names no real instant.
 *
 * @example canonicalIsoMs('2026-11-28T10:00:00Z') // undefined: no milliseconds, so not the canonical form
 */
export function canonicalIsoMs(value: string): number | undefined {
  return isCanonicalIso(value) ? parseCanonical(value) : undefined;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` exactly, checked by character rather than by regular expression. */
function isCanonicalIso(value: string): boolean {
  if (
    value.length !== 24 ||
    value[23] !== 'Z' ||
    value[10] !== 'T' ||
    value[4] !== '-' ||
    value[7] !== '-' ||
    value[13] !== ':' ||
    value[16] !== ':' ||
    value[19] !== '.'
  )
    return false;
  for (const i of DIGIT_POSITIONS) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
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

/**
 * The message's time fields as sent, in the order they are trusted for its event date: its own
 * `timestamp`, then `originalTimestamp` (the device's clock), then Segment's `receivedAt`, then `sentAt`.
 */
const EVENT_TIME_FIELDS = ['timestamp', 'originalTimestamp', 'receivedAt', 'sentAt'] as const;

/**
 * The curated table's partition date: the UTC date of the first readable field of EVENT_TIME_FIELDS,
 * from the message alone — never our receive time and no skew correction (which needs it) — so every
 * resend of a message, a Replay's included, has the same event date, and de-duplication needs only the
 * partitions a run touches. A date outside the analysable range stays that date (the row is flagged by
 * `timestamp_out_of_range`), never moved or dropped.
 *
 * `fromSentAt` says the date came from `sentAt`, the one field a client sets anew on every attempt: two
 * copies of such a message may carry different event dates, so the curated table cannot find the first
 * copy by its date alone and looks it up by message id (docs/lake.md, "Event date").
 *
 * The date and that flag come from one pass over the time fields (ingest's per-event path). A message with no readable time at all is dated by when we received
 * it (`receivedAt`, ours), a date its resends do not share: like a date from `sentAt`, it is flagged, so
 * the curated table finds the message's first copy by id (docs/lake.md, "Event date").
 */
export function eventDating(
  message: TimestampInputs,
  receivedAt?: number,
): { date: string; fromSentAt: boolean } {
  const found = datingField(message);
  // 1970-01-01 from a message's own time is an unset clock (the epoch), dated as no time at all.
  if ((!found || found.date === NO_EVENT_DATE) && receivedAt !== undefined)
    return { date: utcDate(receivedAt), fromSentAt: true };
  return { date: found?.date ?? NO_EVENT_DATE, fromSentAt: found?.field === 'sentAt' };
}

function datingField(
  message: TimestampInputs,
): { field: (typeof EVENT_TIME_FIELDS)[number]; date: string } | undefined {
  for (const field of EVENT_TIME_FIELDS) {
    const text = message[field];
    const ms = typeof text === 'string' ? parseIsoTimestamp(text) : undefined;
    if (ms !== undefined && ms >= FIRST_DATE_MS && ms <= LAST_DATE_MS) return { field, date: utcDate(ms) };
  }
  return undefined;
}
// Years 0001–9999: dates every engine we write to (DuckDB, Parquet, Athena) can hold.
const FIRST_DATE_MS = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * The instant as ISO-8601 UTC (`toISOString`). A request asks for its receive time's text several times
 * (its events, its quarantine entries, its ledger line): the last answer is kept.
 */
export function isoInstant(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
let lastIsoMs = Number.NaN;
let lastIso = '';

/** The `dt` partition value: the UTC calendar date of an instant, `YYYY-MM-DD`. */
export function utcDate(ms: number): string {
  return DATE_OF_DAY(Math.floor(ms / DAY_MS));
}
const DAY_MS = 86_400_000;
// A request touches few days: each day's text is made once.
const DATE_OF_DAY = boundedMemo(100_000, (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10));
