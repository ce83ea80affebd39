import { resolve } from 'node:path';
import * as v from 'valibot';
import { type FaultPlan, parseFaultPlan } from '../adapters/faults/fault-injecting-sink';
import { DEFAULT_ERASE_WINDOW_HOURS, ERASE_WINDOW_HOURS_RANGE } from '../domain/contract/erasure';
import { wholeNumber } from '../domain/contract/formats';
import { readEnv } from '../domain/core/common/read-env';

const PORT_RANGE = 'must be a whole number from 0 to 65535 (0: any free port)';
const Port = wholeNumber(0, 65535, PORT_RANGE);

const EnvSchema = v.object({
  PORT: v.optional(Port, '3000'),
  CONSOLE_PORT: v.optional(
    v.union([v.literal('off'), Port], `${PORT_RANGE.replace('must be', 'must be off or')}`),
  ),
  HOST: v.optional(v.pipe(v.string(), v.minLength(1)), '127.0.0.1'),
  DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1)), '.data'),
  FLUSH_INTERVAL_MS: v.optional(
    wholeNumber(50, Number.MAX_SAFE_INTEGER, 'must be a whole number of ms, 50 or more'),
    '1000',
  ),
  LOG_LEVEL: v.optional(
    v.picklist(['info', 'warn', 'error', 'silent'], 'must be one of info, warn, error, silent'),
    'info',
  ),
  FAULTS: v.optional(v.string(), ''),
  ERASE_WINDOW_HOURS: v.optional(
    wholeNumber(
      ERASE_WINDOW_HOURS_RANGE.min,
      ERASE_WINDOW_HOURS_RANGE.max,
      `must be a whole number of hours from ${ERASE_WINDOW_HOURS_RANGE.min} to ${ERASE_WINDOW_HOURS_RANGE.max}`,
    ),
    String(DEFAULT_ERASE_WINDOW_HOURS),
  ),
});

export type LocalConfig = {
  port: number;
  /** The operators' console's port (local/console); undefined: no console. */
  consolePort: number | undefined;
  host: string;
  dataDir: string;
  flushIntervalMs: number;
  logLevel: 'info' | 'warn' | 'error' | 'silent';
  /** Injected sink faults for rehearsals; empty: none. */
  faults: FaultPlan | undefined;
  /** Hours within which a Segment delete is executed (docs/privacy.md). */
  eraseWindowHours: number;
};

/** Reads the local server's settings from the environment once, failing fast with the variable's name. */
export function readLocalConfig(env: NodeJS.ProcessEnv): LocalConfig {
  const c = readEnv(EnvSchema, env);
  return {
    port: c.PORT,
    // Beside the API by default: PORT + 1, or any free port when PORT is 0 (tests run many at once).
    consolePort:
      c.CONSOLE_PORT === 'off'
        ? undefined
        : (c.CONSOLE_PORT ?? (c.PORT === 0 ? 0 : Math.min(65535, c.PORT + 1))),
    host: c.HOST,
    dataDir: resolve(c.DATA_DIR),
    flushIntervalMs: c.FLUSH_INTERVAL_MS,
    logLevel: c.LOG_LEVEL,
    faults: c.FAULTS.trim() ? parseFaultPlan(c.FAULTS) : undefined,
    eraseWindowHours: c.ERASE_WINDOW_HOURS,
  };
}
