import { jsonLogger, type Logger } from '../lambdas/core/ports';
import { readLocalConfig } from './config';
import { startLocalServer } from './local-server';

/** `npm start`: the destination on this machine. Settings: PORT, HOST, DATA_DIR, FLUSH_INTERVAL_MS, LOG_LEVEL. */
async function main(): Promise<void> {
  const config = readLocalConfig(process.env);
  const logger = levelled(jsonLogger('local'), config.logLevel);
  const destination = await startLocalServer({ ...config, logger });
  process.stdout.write(
    `${[
      '',
      `Segment lake destination listening on ${destination.url}`,
      `  data:   ${config.dataDir}`,
      `          events in lake/events/customer_id=<id>/dt=<YYYY-MM-DD>/, invalid messages in lake/quarantine/`,
      destination.recoveredSegments > 0
        ? `  recovered ${destination.recoveredSegments} spooled segment(s) from the last run`
        : '',
      '',
      'Make a key, then send a first event:',
      `  npm run tokens -- create --customer acme`,
      `  curl -u '<token>:' -H 'content-type: application/json' ${destination.url}/v1/track \\`,
      `    -d '{"userId":"u-1","event":"Signed Up","messageId":"hello-1"}'`,
      '',
    ]
      .filter((line, i, all) => line !== '' || all[i - 1] !== '')
      .join('\n')}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: landing buffered events', { signal });
    destination.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error('stop failed; spooled events land at next start', { detail: error.name });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function levelled(logger: Logger, level: 'info' | 'warn' | 'error' | 'silent'): Logger {
  const rank = { info: 0, warn: 1, error: 2, silent: 3 }[level];
  return {
    info: (m, f) => (rank <= 0 ? logger.info(m, f) : undefined),
    warn: (m, f) => (rank <= 1 ? logger.warn(m, f) : undefined),
    error: (m, f) => (rank <= 2 ? logger.error(m, f) : undefined),
  };
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
