import fc from 'fast-check';
import { NO_EVENT_DATE } from '../../../../domain/contract/formats';
import { normalizeMessage } from '../../../../domain/core/messages/normalize-message';
import {
  canonicalIsoMs,
  correctTimestamp,
  eventDating,
  parseIsoTimestamp,
  utcDate,
} from '../../../../domain/core/messages/timestamps';
import { createTrackMessage } from '../../../support/factories';
import { eventDate, eventDateFromSentAt } from '../../../support/reference-models';

describe('timestamps', () => {
  it('parses ISO-8601 with any fraction precision and offsets', () => {
    expect(parseIsoTimestamp('2026-11-28T10:00:00Z')).toBe(Date.UTC(2026, 10, 28, 10));
    expect(parseIsoTimestamp('2026-11-28T10:00:00.123456789Z')).toBe(Date.UTC(2026, 10, 28, 10, 0, 0, 123));
    expect(parseIsoTimestamp('2026-11-28T12:00:00+02:00')).toBe(Date.UTC(2026, 10, 28, 10));
    expect(parseIsoTimestamp('2026-11-28T12:00+0200')).toBe(Date.UTC(2026, 10, 28, 10));
  });

  it('reads a time without a zone, and a bare date, as UTC', () => {
    expect(parseIsoTimestamp('2026-11-28T10:00:00')).toBe(Date.UTC(2026, 10, 28, 10));
    expect(parseIsoTimestamp('2026-11-28T10:00:00.5')).toBe(Date.UTC(2026, 10, 28, 10, 0, 0, 500));
    expect(parseIsoTimestamp('2026-11-28')).toBe(Date.UTC(2026, 10, 28));
  });

  it.each(['2026-11-28 10:00:00', 'yesterday', '2026-13-01T00:00:00Z', '2026-02-30', '1606557600000', ''])(
    'refuses %p',
    (value) => {
      expect(parseIsoTimestamp(value)).toBeUndefined();
    },
  );

  it('keeps a timestamp the message carries', () => {
    expect(
      correctTimestamp({ timestamp: '2020-01-01T00:00:00Z', originalTimestamp: '2021-01-01T00:00:00Z' }, 0),
    ).toBe(Date.UTC(2020, 0, 1));
  });

  it('corrects clock skew as receivedAt - (sentAt - originalTimestamp)', () => {
    const received = Date.parse('2026-01-01T00:00:05Z');

    const corrected = correctTimestamp(
      { originalTimestamp: '2026-01-01T00:00:10Z', sentAt: '2026-01-01T00:00:20Z' },
      received,
    );

    expect(new Date(corrected).toISOString()).toBe('2025-12-31T23:59:55.000Z');
  });

  it("prefers the message's receivedAt to our receive time", () => {
    const corrected = correctTimestamp(
      {
        originalTimestamp: '2026-01-01T00:00:00Z',
        sentAt: '2026-01-01T00:00:01Z',
        receivedAt: '2026-01-01T00:00:03Z',
      },
      Date.parse('2030-01-01T00:00:00Z'),
    );

    expect(new Date(corrected).toISOString()).toBe('2026-01-01T00:00:02.000Z');
  });

  it('falls back to originalTimestamp, then to the receive time', () => {
    expect(correctTimestamp({ originalTimestamp: '2026-01-01T00:00:00Z' }, 5)).toBe(Date.UTC(2026, 0, 1));
    expect(correctTimestamp({}, 5)).toBe(5);
  });

  it('gives the UTC date for the partition', () => {
    expect(utcDate(Date.parse('2026-01-01T01:00:00+03:00'))).toBe('2025-12-31');
  });
});

describe('calendar validity', () => {
  it.each(['2026-02-30T10:00:00.000Z', '2026-02-29T10:00:00Z', '2026-04-31', '2025-02-29T00:00'])(
    'refuses the day that does not exist in %p',
    (value) => {
      expect(parseIsoTimestamp(value)).toBeUndefined();
    },
  );

  it('accepts 29 February in a leap year', () => {
    expect(parseIsoTimestamp('2024-02-29T10:00:00.000Z')).toBe(Date.UTC(2024, 1, 29, 10));
  });
});

describe('the canonical form (YYYY-MM-DDTHH:MM:SS.sssZ), read from its digits', () => {
  // What it must equal: Date.parse, on a day the calendar has (Date.parse rolls 30 February over).
  const calendarDay = (year: number, month: number, day: number) => {
    const probe = new Date(0);
    probe.setUTCFullYear(year, month - 1, day);
    return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
  };
  const expected = (text: string, year: number, month: number, day: number) => {
    const ms = Date.parse(text);
    return month >= 1 && month <= 12 && calendarDay(year, month, day) && Number.isFinite(ms) ? ms : undefined;
  };
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const canonical = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number) =>
    `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`;

  it('equals Date.parse over every field’s range and past it, leap days and the years 0–99 included', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 4, 100, 1900, 2000, 2024, 2100)),
        fc.integer({ min: 0, max: 19 }),
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 0, max: 29 }),
        fc.oneof(fc.integer({ min: 0, max: 69 }), fc.constant(0)),
        fc.oneof(fc.integer({ min: 0, max: 69 }), fc.constant(0)),
        fc.oneof(fc.integer({ min: 0, max: 999 }), fc.constant(0)),
        (y, mo, d, h, mi, s, ms) => {
          const text = canonical(y, mo, d, h, mi, s, ms);
          expect(parseIsoTimestamp(text)).toBe(expected(text, y, mo, d));
        },
      ),
      { numRuns: 20_000, seed: Number(process.env.FC_SEED ?? 20261203) },
    );
  });

  it.each([
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['2026-12-31T24:00:00.000Z', Date.UTC(2027, 0, 1)],
    ['1970-01-01T00:00:00.000Z', 0],
    ['1969-12-31T23:59:59.999Z', -1],
    ['0000-02-29T00:00:00.000Z', Date.parse('0000-02-29T00:00:00.000Z')],
  ])('reads %p', (text, ms) => {
    expect(parseIsoTimestamp(text)).toBe(ms);
  });

  it('reads only that form, for the lake to keep a timestamp as sent', () => {
    expect(canonicalIsoMs('2026-11-28T10:00:00.123Z')).toBe(Date.UTC(2026, 10, 28, 10, 0, 0, 123));
    expect(canonicalIsoMs('2026-11-28T10:00:00Z')).toBeUndefined();
    expect(canonicalIsoMs('2026-11-28T11:00:00.000+01:00')).toBeUndefined();
    expect(canonicalIsoMs('2026-02-30T10:00:00.000Z')).toBeUndefined();
  });

  it.each([
    '2026-12-31T24:00:00.001Z',
    '2026-12-31T23:60:00.000Z',
    '2026-12-31T23:59:60.000Z',
    '2026-00-10T00:00:00.000Z',
    '2026-11-00T00:00:00.000Z',
    '2025-02-29T00:00:00.000Z',
    '2100-02-29T00:00:00.000Z',
  ])('refuses %p', (text) => {
    expect(parseIsoTimestamp(text)).toBeUndefined();
  });
});

describe('the event date a message itself says', () => {
  it('takes the first readable time field, in the order they are trusted', () => {
    expect(
      eventDate({ timestamp: '2026-03-01T23:30:00-02:00', originalTimestamp: '2020-01-01T00:00:00Z' }),
    ).toBe('2026-03-02');
    expect(eventDate({ timestamp: 'yesterday', originalTimestamp: '2025-12-31T23:59:59+01:00' })).toBe(
      '2025-12-31',
    );
    expect(eventDate({ receivedAt: '2024-02-29T12:00:00Z', sentAt: '2024-03-01T00:00:00Z' })).toBe(
      '2024-02-29',
    );
    expect(eventDate({ sentAt: '2024-03-01T00:00:00Z' })).toBe('2024-03-01');
  });

  it('says when the date came from sentAt, the one field a resend may change', () => {
    expect(eventDateFromSentAt({ sentAt: '2024-03-01T00:00:00Z' })).toBe(true);
    expect(eventDateFromSentAt({ timestamp: 'yesterday', sentAt: '2024-03-01T00:00:00Z' })).toBe(true);
    expect(eventDateFromSentAt({ receivedAt: '2024-02-29T12:00:00Z', sentAt: '2024-03-01T00:00:00Z' })).toBe(
      false,
    );
    expect(eventDateFromSentAt({ originalTimestamp: '2024-02-29T12:00:00Z' })).toBe(false);
    expect(eventDateFromSentAt({})).toBe(false);
  });

  it('keeps an out-of-range date as it is, and gives messages with no time at all one fixed date', () => {
    expect(eventDate({ timestamp: '1999-12-31T00:00:00Z' })).toBe('1999-12-31');
    expect(eventDate({ timestamp: '2090-01-01T00:00:00Z' })).toBe('2090-01-01');
    expect(eventDate({})).toBe(NO_EVENT_DATE);
    expect(eventDate({ timestamp: '0000-06-01T00:00:00Z' })).toBe(NO_EVENT_DATE);
  });

  it('dates a message with no time at all by its receive time at ingest, flagged as a date resends do not share', () => {
    const received = Date.parse('2026-12-07T23:59:59.999Z');

    expect(eventDating({}, received)).toEqual({ date: '2026-12-07', fromSentAt: true });
    expect(eventDating({ timestamp: 'not a time' }, received)).toEqual({
      date: '2026-12-07',
      fromSentAt: true,
    });
    expect(eventDating({ timestamp: '2026-12-01T00:00:00Z' }, received)).toEqual({
      date: '2026-12-01',
      fromSentAt: false,
    });
  });

  it('is the same for every resend of a message, whenever it is received', () => {
    const message = createTrackMessage({ timestamp: '2023-05-05T05:05:05Z' });
    const at = (receivedAt: number) =>
      normalizeMessage(message as never, message, {
        customerId: 'c',
        receivedAt,
        aliases: new Map(),
        requestId: 'r',
      });

    expect(at(Date.parse('2026-01-01T00:00:00Z')).event_date).toBe('2023-05-05');
    expect(at(Date.parse('2031-12-31T23:59:59Z')).event_date).toBe('2023-05-05');
  });
});
