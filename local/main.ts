import { FaultInjectingSink } from '../lambdas/adapters/faults/fault-injecting-sink';
import { jsonLogger } from '../lambdas/adapters/system/json-logger';
import type { Logger, RecordSink } from '../lambdas/core/common/ports';
import { readLocalConfig } from './config';
import { type LocalDestination, startLocalServer } from './local-server';

/** `npm start`: the destination on this machine. Settings: PORT, HOST, DATA_DIR, FLUSH_INTERVAL_MS, LOG_LEVEL. */
async function main(): Promise<void> {
  const config = readLocalConfig(process.env);
  const logger = levelled(jsonLogger('local'), config.logLevel);
  // Signal handlers go in before the banner: whoever reads the banner may signal at once.
  let stopping = false;
  let started: Promise<LocalDestination> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping: landing buffered events', { signal });
    (started ?? Promise.reject(new Error('not started')))
      .then((destination) => destination.close())
      .then(
        () => process.exit(0),
        (error: Error) => {
          logger.error('stop failed; spooled events land at next start', { detail: error.name });
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const { faults } = config;
  started = startLocalServer({
    ...config,
    logger,
    ...(faults ? { wrapSink: (sink: RecordSink) => new FaultInjectingSink(sink, faults) } : {}),
  });
  const destination = await started;
  const lines = [
    '',
    `Segment lake destination listening on ${destination.url}`,
    `  data: ${config.dataDir}`,
    '        events in lake/events/customer_id=<id>/received_dt=<YYYY-MM-DD>/, invalid messages in lake/quarantine/',
  ];
  if (faults) lines.push(`  FAULTS: injecting ${JSON.stringify(faults)} — for rehearsals only`);
  if (destination.recoveredSegments > 0)
    lines.push(`  recovered ${destination.recoveredSegments} spooled segment(s) from the last run`);
  lines.push(
    '',
    'Make a key, then send a first event:',
    '  npm run tokens -- create --customer acme',
    `  curl -u '<token>:' -H 'content-type: application/json' ${destination.url}/v1/track \\`,
    `    -d '{"userId":"u-1","event":"Signed Up","messageId":"hello-1"}'`,
    '',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

function levelled(logger: Logger, level: 'info' | 'warn' | 'error' | 'silent'): Logger {
  const rank = { info: 0, warn: 1, error: 2, silent: 3 }[level];
  return {
    info: (m, f) => (rank <= 0 ? logger.info(m, f) : undefined),
    warn: (m, f) => (rank <= 1 ? logger.warn(m, f) : undefined),
    error: (m, f) => (rank <= 2 ? logger.error(m, f) : undefined),
  };
}

// One line that says why (ENOSPC, EACCES, EADDRINUSE, a damaged token file, a DATA_DIR in use): the
// message of a Node file error already names the errno and the path.
main().catch((error: Error) => {
  console.error(`npm start: cannot start: ${error.message}`);
  process.exit(1);
});
