import type { Logger } from '../../domain/core/common/ports';

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * One JSON object per line on stdout/stderr, in the shape Powertools Logger writes on Lambda (`level`
 * in capitals, `message`, `service`, `timestamp`, then the fields), so the local server's logs and the
 * functions' read the same way (CloudWatch Logs Insights, jq).
 */
export function jsonLogger(
  service: string,
  write = (line: string, level: string) => (level === 'error' ? console.error(line) : console.log(line)),
): Logger {
  const log =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      write(
        JSON.stringify({
          level: level.toUpperCase(),
          message,
          service,
          timestamp: new Date().toISOString(),
          ...fields,
        }),
        level,
      );
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
