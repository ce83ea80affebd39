import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandSpec, type Flag, runCommand } from '../cli/command';
import { jsonFlag } from '../cli/flags';
import { progress } from '../cli/progress';
import { readLocalConfig } from '../local/config';
import { describeDamage } from '../local/damaged-objects';
import { runCompaction } from './compact/run-compaction';

const COMPACT = {
  name: 'npm run compact --',
  summary: [
    'Merges the landing objects not taken yet into the curated table ($DATA_DIR/lake/curated/events:',
    'Parquet, one row per customer and messageId, the first received, partitioned by customer and event',
    'date). Rewrites only the partitions the new objects touch; a second run changes nothing; a killed',
    'run is finished by the next. Safe while npm start runs. Each customer is merged on its own: a',
    'damaged landing object is set aside (its readable lines kept), and a customer whose merge still',
    'fails is named and left for the next run while the others are committed (then exit 1). docs/lake.md.',
  ].join('\n'),
  flags: {
    json: jsonFlag('the report as JSON on stdout'),
  },
  examples: ['npm run compact', 'DATA_DIR=/var/lib/segment-lake npm run compact -- --json'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(COMPACT, async ({ values }) => {
  const lakeRoot = join(readLocalConfig(process.env).dataDir, 'lake');
  // A mistyped DATA_DIR is an error, not an empty lake to report zeros for.
  if (!existsSync(lakeRoot)) throw new Error(`no lake at ${lakeRoot}: is DATA_DIR right?`);
  const bar = progress({ label: 'compact', unit: 'partitions' });
  const report = await runCompaction({
    lakeRoot,
    onProgress: (done, total) => bar.update(done, { total }),
  });
  bar.finish();
  // Every healthy customer is committed; a failing one makes the run fail, after the summary.
  if (report.failedCustomers.length > 0) process.exitCode = 1;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  process.stdout.write(
    `${[
      ...(report.rebuiltDayPartitions > 0
        ? [
            `Rebuilt the curated table by month from the landing zone: removed ${report.rebuiltDayPartitions} day partitions an earlier version wrote.`,
          ]
        : []),
      ...(report.redatedCustomers > 0
        ? [
            `Moved the rows an earlier version dated 1970-01-01 (messages with no time) to their receive dates: ${report.redatedCustomers} customer(s), their landing objects taken again.`,
          ]
        : []),
      report.objectsTaken === 0
        ? `Nothing new: all ${report.objectsSeen} landing objects were taken before; no file changed.`
        : `Took ${report.objectsTaken} new landing objects of ${report.objectsSeen} (${report.linesRead} lines); rewrote ${report.partitionsRewritten} partitions.`,
      `Curated table: ${report.curatedFiles} files, ${(report.curatedBytes / 1024).toFixed(0)} KiB under ${join(lakeRoot, 'curated', 'events')}.`,
      ...(report.identityCustomers > 0
        ? [
            `Identity graph (identities, users) built for ${report.identityCustomers} customer(s): npm run query -- "select * from users limit 5"`,
          ]
        : []),
      ...report.identityFailed.map(
        (f) => `Customer ${f.customerId}'s identity graph was not built (its last one stays): ${f.reason}`,
      ),
      ...report.damaged.map((d) => `Set aside a damaged landing object: ${describeDamage(d)}.`),
      ...report.failedCustomers.map(
        (f) => `Customer ${f.customerId} was not compacted (its objects stay for the next run): ${f.reason}`,
      ),
      report.failedCustomers.length > 0
        ? `${report.failedCustomers.length} customer(s) failed; every other customer was committed.`
        : 'Query it: npm run query -- "select event, count(*) from events_curated group by 1"',
    ].join('\n')}\n`,
  );
});
