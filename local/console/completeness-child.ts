import { localCompleteness } from '../completeness';

/**
 * `node --require tsx/cjs local/console/completeness-child.ts <lake> <since>`: the completeness rows of
 * receive days from <since> on, as JSON on stdout. The console runs it in a child process at the lowest
 * CPU priority, so that DuckDB's scan of the lake never takes CPU from ingest (docs/operations.md).
 */
const [lake, since] = process.argv.slice(2);
localCompleteness(lake!)
  .then((rows) => {
    process.stdout.write(JSON.stringify(rows.filter((row) => row.dt >= since!)));
  })
  .catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
