import type { Logger } from '../../core/common/ports';

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** One JSON object per line on stdout/stderr, the shape CloudWatch Logs Insights reads. */
export function jsonLogger(
  service: string,
  write = (line: string, level: string) => (level === 'error' ? console.error(line) : console.log(line)),
): Logger {
  const log =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      write(JSON.stringify({ level, service, message, time: new Date().toISOString(), ...fields }), level);
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
