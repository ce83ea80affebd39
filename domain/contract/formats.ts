import * as v from 'valibot';

/**
 * The text formats every boundary shares, defined once: a customer id (a key's owner, a lake partition,
 * a CLI flag, a state machine input) and a UTC date (a partition value, a flag, an intent cutoff).
 */

/** A customer id: what a key is issued for and what names its lake partitions (`customer_id=<id>`). */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const CustomerIdSchema = v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'a customer id'));

/** A UTC date, `YYYY-MM-DD`: `received_dt`, `event_date`, `dt`, and every date a command takes. */
export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
export const DaySchema = v.pipe(v.string(), v.regex(DAY_PATTERN, 'a date such as 2026-11-01'));

/**
 * What a release before 2026-12-07 wrote as the event date of a message that carries no readable time
 * at all (Segment always sends one; a hand-made curl may not). Readers take such a line's receive date
 * instead (sql/curated-sql.ts), and compaction moves curated rows of this date (docs/upgrading.md).
 */
export const NO_EVENT_DATE = '1970-01-01';

/**
 * A whole number from `min` to `max`, given as a number or as its decimal digits: the one definition
 * behind every command's flag (cli/command.ts), the local server's environment (local/config.ts) and the
 * stack's settings (lib/config.ts), which come as text or as numbers. `message` says what is expected,
 * for every way a value can be wrong; by default "a whole number from <min> to <max>".
 */
export const wholeNumber = (min: number, max: number, message = `a whole number from ${min} to ${max}`) =>
  v.pipe(
    v.union(
      [
        v.pipe(v.number(), v.integer(message)),
        v.pipe(v.string(), v.regex(/^\d+$/, message), v.transform(Number)),
      ],
      message,
    ),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
