import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoTokenStore } from '../lambdas/adapters/aws/dynamo-token-store';
import { FirehoseSink } from '../lambdas/adapters/aws/firehose-sink';
import { KinesisSink } from '../lambdas/adapters/aws/kinesis-sink';
import { ShardedSink } from '../lambdas/adapters/aws/sharded-sink';
import { FileTokenStore } from '../lambdas/adapters/local/file-token-store';
import { SpoolingLakeSink } from '../lambdas/adapters/local/spooling-lake-sink';
import { systemClock } from '../lambdas/adapters/system/clock';
import { silentLogger } from '../lambdas/adapters/system/json-logger';
import { readLocalConfig } from '../local/config';
import { lockDataDir } from '../local/data-dir-lock';
import { localLakeStore, s3LakeStore } from './redrive/lake-store';
import { runRedrive } from './redrive/run-redrive';

/**
 * `npm run redrive` — the local lake in $DATA_DIR (refused while `npm start` runs on it: one process owns a data dir).
 * `npm run redrive -- --bucket <LakeBucketName> --table <TokensTableName> --stream <EventStreamName>`
 * (or `--delivery-stream <DeliveryStreamName>` for Direct PUT) — a deployed stage.
 * `--no-quarantine` redrives only Firehose's error output.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bucket: { type: 'string' },
      table: { type: 'string' },
      stream: { type: 'string' },
      'delivery-stream': { type: 'string' },
      'no-quarantine': { type: 'boolean', default: false },
    },
  });
  const options = { quarantine: !values['no-quarantine'] };
  let report: Awaited<ReturnType<typeof runRedrive>>;
  if (values.bucket) {
    if (!values.table || !(values.stream || values['delivery-stream']))
      throw new Error('--bucket needs --table and --stream (or --delivery-stream)');
    // With several delivery shards, the names are a comma-separated list, shard 0 first (stack outputs).
    const names = (values.stream ?? values['delivery-stream']!).split(',').map((n) => n.trim());
    const shards = values.stream
      ? names.map((name) => new KinesisSink(new KinesisClient({}), name))
      : names.map((name) => new FirehoseSink(new FirehoseClient({}), name));
    const sink = shards.length === 1 ? shards[0]! : new ShardedSink(shards);
    report = await runRedrive(
      s3LakeStore(values.bucket),
      sink,
      new DynamoTokenStore(new DynamoDBClient({}), values.table),
      options,
    );
  } else {
    const { dataDir } = readLocalConfig(process.env);
    // The server owns the landing areas: redrive refuses while it runs, rather than both writing.
    const lock = await lockDataDir(dataDir, 'npm run redrive');
    try {
      const sink = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });
      await sink.start();
      report = await runRedrive(
        localLakeStore(join(dataDir, 'lake')),
        sink,
        new FileTokenStore(dataDir),
        options,
      );
      await sink.close();
    } finally {
      await lock.release();
    }
  }
  process.stdout.write(
    `${[
      `Firehose error objects redriven: ${report.errorObjects} (${report.errorLines} records); moved to redriven/errors/`,
      `quarantined messages checked: ${report.quarantineChecked}; valid now and redriven: ${report.quarantineNowValid}; redriven before: ${report.quarantineAlreadyRedriven}`,
    ].join('\n')}\n`,
  );
}

main().catch((error: Error) => {
  console.error(`redrive: ${error.message}`);
  process.exit(1);
});
