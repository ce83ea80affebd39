import * as v from 'valibot';
import { CUSTOMER_ID_PATTERN, DAY_PATTERN } from '../domain/contract/formats';
import type { SwitchFlag, ValueFlag } from './command';

/**
 * The flags many commands share, defined once: the same name means the same value and the same check
 * in every command (test/cli/command.test.ts). Each takes the command's own description.
 */

/** `--customer <id>`: a customer id as keys are issued for (domain/contract/formats.ts). */
export function customerFlag(description: string): ValueFlag<string>;
export function customerFlag(description: string, fallback: string): Defaulted<string>;
export function customerFlag(description: string, fallback?: string): ValueFlag<string> {
  return {
    kind: 'value',
    schema: v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'a customer id')),
    unit: 'id',
    description,
    ...(fallback === undefined ? {} : { default: fallback }),
  };
}

/** A flag with a default: its value is never undefined. */
type Defaulted<T> = ValueFlag<T> & { default: string };

/** `--<name> <YYYY-MM-DD>`: a UTC date. */
export const dayFlag = (description: string): ValueFlag<string> => ({
  kind: 'value',
  schema: v.pipe(v.string(), v.regex(DAY_PATTERN, 'a date such as 2026-11-01')),
  unit: 'YYYY-MM-DD',
  description,
});

/** `--<name> <Nd>`: a number of days written `30d`, between min and max. */
export function daysFlag(description: string, min: number, max: number): ValueFlag<number>;
export function daysFlag(description: string, min: number, max: number, fallback: string): Defaulted<number>;
export function daysFlag(
  description: string,
  min: number,
  max: number,
  fallback?: string,
): ValueFlag<number> {
  return {
    kind: 'value',
    schema: v.pipe(
      v.string(),
      v.regex(/^\d+d?$/, `a number of days such as 30d (${min} to ${max})`),
      v.transform((text) => Number(text.replace(/d$/, ''))),
      v.minValue(min, `a number of days such as 30d (${min} to ${max})`),
      v.maxValue(max, `a number of days such as 30d (${min} to ${max})`),
    ),
    unit: 'days',
    description,
    ...(fallback === undefined ? {} : { default: fallback }),
  };
}

/** `--event <name>`: an event in any spelling (folded as ingest folds it: "Signed Up", signed_up). */
export const eventFlag = (description: string): ValueFlag<string> => ({
  kind: 'value',
  schema: v.pipe(v.string(), v.minLength(1, 'an event name')),
  unit: 'name',
  description,
});

/** `--html <file>`: also write a page with charts. */
export const htmlFlag = (description: string): ValueFlag<string> => ({
  kind: 'value',
  schema: v.pipe(v.string(), v.minLength(1, 'a file name')),
  unit: 'file',
  description,
});

/** `--json`: the result as JSON on stdout. */
export const jsonFlag = (description: string): SwitchFlag => ({ kind: 'switch', description });
