import { normalizeMessage } from '../../domain/core/messages/normalize-message';
import {
  correctTimestamp,
  eventDate,
  eventDateFromSentAt,
  NO_EVENT_DATE,
  parseIsoTimestamp,
  utcDate,
} from '../../domain/core/messages/timestamps';
import { createTrackMessage } from '../support/factories';

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
