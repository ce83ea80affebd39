import { existsSync } from 'node:fs';
import { FileErasureLog } from '../adapters/local/file-erasure-log';
import { SpoolingLakeSink } from '../adapters/local/spooling-lake-sink';
import { systemClock } from '../adapters/system/clock';
import { silentLogger } from '../adapters/system/json-logger';
import { type CommandSpec, type Flag, runCommand, UsageError } from '../cli/command';
import { customerFlag, jsonFlag } from '../cli/flags';
import { progress } from '../cli/progress';
import { alignedTable } from '../cli/table';
import { ERASE_PLACES, type ErasureEntry, erasureAuditRow, rowsRemoved } from '../domain/contract/erasure';
import { readLocalConfig } from '../local/config';
import { lockDataDir } from '../local/data-dir-lock';
import { runErasure } from '../local/erasure/run-erasure';

const ERASE = {
  name: 'npm run erase --',
  summary: [
    "Segment's delete requests on the local destination ($DATA_DIR): --list prints the audit; --now",
    'executes every recorded request at once, ignoring the window (npm start executes them itself',
    'within ERASE_WINDOW_HOURS; --now is refused while it runs on the same DATA_DIR). docs/privacy.md.',
  ].join('\n'),
  flags: {
    now: { kind: 'switch', description: 'execute every pending request now' },
    list: { kind: 'switch', description: 'print the audit: one row per delete request' },
    customer: customerFlag('only this customer'),
    json: jsonFlag('with --list: a JSON array, one object per request'),
  },
  examples: ['npm run erase -- --now', 'npm run erase -- --list --customer acme --json'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(ERASE, async ({ values }) => {
  if (values.now === values.list) throw new UsageError('give one of --now or --list');
  if (values.json && !values.list) throw new UsageError('--json goes with --list');
  const { dataDir, eraseWindowHours } = readLocalConfig(process.env);
  if (!existsSync(dataDir)) throw new Error(`no data directory at ${dataDir}: is DATA_DIR right?`);
  const log = new FileErasureLog(dataDir);
  if (values.list) {
    const entries = log.all().filter((e) => !values.customer || e.customer_id === values.customer);
    process.stdout.write(
      values.json ? `${JSON.stringify(entries.map(erasureAuditRow), null, 2)}\n` : `${listTable(entries)}\n`,
    );
    return;
  }
  // The server owns the DATA_DIR and executes due requests itself: refused while it runs, like redrive.
  const lock = await lockDataDir(dataDir, 'npm run erase');
  try {
    // What a stopped server left in the spool is landed first: the pass must see every byte.
    const sink = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });
    await sink.start();
    await sink.close();
    const bar = progress({ label: 'erase', unit: 'files' });
    const done = await runErasure({
      dataDir,
      log,
      now: () => systemClock.now(),
      windowHours: eraseWindowHours,
      all: true,
      ...(values.customer ? { customerId: values.customer } : {}),
      onProgress: (_customer, n, total) => bar.update(n, { total }),
    });
    bar.finish();
    for (const c of done) {
      const places = ERASE_PLACES.filter((p) => c.rowsRemoved[p] > 0)
        .map((p) => `${p} ${c.rowsRemoved[p]}`)
        .join(', ');
      process.stderr.write(
        `erase: ${c.customerId}: ${c.requests} request(s) done; ${c.objectsRewritten} file(s) rewritten; rows removed: ${places || 'none'}; remaining after: ${c.remainingAfter}\n`,
      );
    }
    if (done.length === 0) process.stderr.write('erase: no pending delete requests\n');
  } finally {
    await lock.release();
  }
});

function listTable(entries: ErasureEntry[]): string {
  if (entries.length === 0) return 'No delete requests.';
  return alignedTable(
    [
      ['customer', 'request', 'status', 'received', 'executed', 'rows removed', 'user (keyed hash)'],
      ...entries.map((e) => [
        e.customer_id,
        e.message_id,
        e.status,
        e.received_at,
        e.executed_at ?? '-',
        String(rowsRemoved(e)),
        `${e.user_hash.slice(0, 16)}…`,
      ]),
    ],
    { right: [5] },
  );
}
