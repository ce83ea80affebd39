import { FaultInjectingSink } from '../adapters/faults/fault-injecting-sink';
import { FileOperatorStore } from '../adapters/local/file-operator-store';
import { systemClock } from '../adapters/system/clock';
import { jsonLogger } from '../adapters/system/json-logger';
import { type CommandSpec, type Flag, runCommand, UsageError } from '../cli/command';
import type { Logger, RecordSink } from '../domain/core/common/ports';
import { LiveView } from '../domain/core/console/live-view';
import { type LocalConfig, readLocalConfig } from './config';
import { consoleAssets } from './console/console-assets';
import { startConsole } from './console/console-server';
import { LocalConsoleSource } from './console/local-source';
import { type LocalDestination, startLocalServer } from './local-server';

/** `npm start`: no flags; its settings are environment variables, validated as flags are (exit 2). */
const START = {
  name: 'npm start --',
  label: 'npm start',
  summary: [
    'Runs the destination on this machine: the same authorizer and ingest handlers as on AWS, behind',
    'node:http, landing events in $DATA_DIR/lake in the same layout as S3. Stop it with Ctrl-C (SIGINT) or',
    'SIGTERM: it lands what it buffered first. Settings are environment variables.',
  ].join('\n'),
  flags: {},
  notes: [
    'Settings (environment variables):',
    '  PORT                  port to listen on, 0 to 65535; 0 for any free port (default 3000)',
    "  CONSOLE_PORT          the operators' console (/console/), 0 to 65535, or off (default PORT + 1;",
    '                        any free port when PORT is 0). Open it with an operator key:',
    '                        npm run tokens -- operator create',
    '  HOST                  address to listen on (default 127.0.0.1)',
    '  DATA_DIR              keys, spool and lake (default .data)',
    '  FLUSH_INTERVAL_MS     how often buffered events become lake files, in ms, 50 or more (default 1000)',
    '  LOG_LEVEL             info, warn, error or silent (default info)',
    '  FAULTS                inject sink faults for rehearsals, e.g. throttle=0.3,crash=0.01 (default none)',
    '  ERASE_WINDOW_HOURS    Segment deletes are executed within this many hours, 24 to 720 (default 72;',
    '                        docs/privacy.md; npm run erase -- --now executes them at once)',
  ],
  examples: ['PORT=8080 DATA_DIR=/tmp/lake npm start'],
} as const satisfies CommandSpec<Record<string, Flag>>;

/** `npm start`: the destination on this machine. Settings: PORT, CONSOLE_PORT, HOST, DATA_DIR, FLUSH_INTERVAL_MS, LOG_LEVEL, FAULTS, ERASE_WINDOW_HOURS. */
async function main(): Promise<void> {
  let config: LocalConfig;
  try {
    config = readLocalConfig(process.env);
  } catch (error) {
    // A wrong setting is the caller's: a usage error (exit 2) that names the variable and its range.
    throw new UsageError((error as Error).message.replace(/^Invalid configuration: /, ''));
  }
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
  const live = config.consolePort === undefined ? undefined : new LiveView();
  started = startLocalServer({
    ...config,
    logger,
    ...(live ? { live } : {}),
    ...(faults ? { wrapSink: (sink: RecordSink) => new FaultInjectingSink(sink, faults) } : {}),
  });
  const destination = await started;
  let consoleUrl: string | undefined;
  if (live && config.consolePort !== undefined) {
    const operatorsConsole = await startConsole({
      port: config.consolePort,
      host: config.host,
      operators: new FileOperatorStore(config.dataDir),
      source: new LocalConsoleSource({
        dataDir: config.dataDir,
        live,
        erasures: destination.erasures,
        clock: systemClock,
        logger,
      }),
      assets: consoleAssets(),
      logger,
      clock: systemClock,
    }).catch(async (error: Error) => {
      await destination.close();
      throw new Error(
        `the console cannot listen on port ${config.consolePort}: ${error.message} (CONSOLE_PORT)`,
      );
    });
    consoleUrl = operatorsConsole.url;
    const close = destination.close.bind(destination);
    destination.close = async () => {
      await operatorsConsole.close();
      await close();
    };
  }
  const lines = [
    '',
    `Segment lake destination listening on ${destination.url}`,
    `  data: ${config.dataDir}`,
    '        events in lake/events/customer_id=<id>/received_dt=<YYYY-MM-DD>/, invalid messages in lake/quarantine/',
  ];
  if (consoleUrl)
    lines.push(`  console for operators on ${consoleUrl} (a key: npm run tokens -- operator create)`);
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
runCommand(START, async () => {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new Error(`cannot start: ${(error as Error).message}`);
  }
});
