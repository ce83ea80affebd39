import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import * as v from 'valibot';
import { DynamoTokenStore } from '../adapters/aws/dynamo-token-store';
import { FirehoseSink } from '../adapters/aws/firehose-sink';
import { KinesisSink } from '../adapters/aws/kinesis-sink';
import { ShardedSink } from '../adapters/aws/sharded-sink';
import { FileTokenStore } from '../adapters/local/file-token-store';
import { SpoolingLakeSink } from '../adapters/local/spooling-lake-sink';
import { systemClock } from '../adapters/system/clock';
import { silentLogger } from '../adapters/system/json-logger';
import { type CommandSpec, type Flag, runCommand, UsageError, wholeNumber } from '../cli/command';
import { progress } from '../cli/progress';
import { AWS_QUOTAS } from '../domain/contract/aws-quotas';
import { redrivePartitions } from '../domain/contract/delivery-capacity';
import { STACK_DEFAULTS } from '../lib/config';
import { readLocalConfig } from '../local/config';
import { lockDataDir } from '../local/data-dir-lock';
import { localLakeStore, s3LakeStore } from './redrive/lake-store';
import { PartitionPacer } from './redrive/partition-pacer';
import { runRedrive } from './redrive/run-redrive';

const NAME = v.pipe(v.string(), v.minLength(1, 'a name'));
const REDRIVE = {
  name: 'npm run redrive --',
  summary: [
    "Puts back through the pipeline every record in Firehose's error output (errors/) and every",
    'quarantined message that validates now; idempotent. Without --bucket: the local lake in $DATA_DIR',
    '(refused while npm start runs on it). With --bucket: a deployed stage (docs/operations.md).',
  ].join('\n'),
  flags: {
    bucket: {
      kind: 'value',
      schema: NAME,
      unit: 'bucket',
      description: 'the lake bucket (stack output LakeBucketName)',
    },
    table: {
      kind: 'value',
      schema: NAME,
      unit: 'table',
      description: 'the tokens table (stack output TokensTableName)',
    },
    stream: {
      kind: 'value',
      schema: NAME,
      unit: 'streams',
      description: 'the Kinesis stream(s), comma-separated (output DeliveryShards)',
    },
    'delivery-stream': {
      kind: 'value',
      schema: NAME,
      unit: 'streams',
      description: 'the Firehose stream(s), for Direct PUT stacks',
    },
    'partition-quota': {
      kind: 'value',
      schema: wholeNumber(1, AWS_QUOTAS.activePartitionsMax),
      unit: 'partitions',
      description: "the stack's activePartitionQuota: redrive opens at most 5 % of it per window",
      default: String(STACK_DEFAULTS.activePartitionQuota),
    },
    'buffer-seconds': {
      kind: 'value',
      schema: wholeNumber(60, 900),
      unit: 's',
      description: "the stack's firehoseBufferSeconds: a window is 1.5 × this",
      default: String(STACK_DEFAULTS.firehoseBufferSeconds),
    },
    'no-quarantine': { kind: 'switch', description: "only Firehose's error output" },
    salvage: {
      kind: 'switch',
      description:
        'local only: also land the whole lines of the damaged records kept in spool/damaged/ (idempotent)',
    },
  },
  examples: [
    'npm run redrive',
    'npm run redrive -- --bucket <LakeBucketName> --table <TokensTableName> --stream <streams>',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(REDRIVE, async ({ values }) => {
  const bar = progress({ label: 'redrive', unit: 'objects' });
  const options = {
    quarantine: !values['no-quarantine'],
    onProgress: (done: number, total: number) => {
      bar.update(done, { total });
    },
  };
  let report: Awaited<ReturnType<typeof runRedrive>>;
  let salvaged: Awaited<ReturnType<SpoolingLakeSink['salvageDamaged']>> | undefined;
  if (values.bucket && values.salvage)
    throw new UsageError('--salvage works on the local spool (spool/damaged/), not with --bucket');
  if (values.bucket) {
    if (!values.table || !(values.stream || values['delivery-stream']))
      throw new UsageError('--bucket needs --table and --stream (or --delivery-stream)');
    // With several delivery shards, the names are a comma-separated list, shard 0 first (stack outputs).
    const names = (values.stream ?? values['delivery-stream']!).split(',').map((n) => n.trim());
    const shards = values.stream
      ? names.map((name) => new KinesisSink(new KinesisClient({}), name))
      : names.map((name) => new FirehoseSink(new FirehoseClient({}), name));
    const sink = shards.length === 1 ? shards[0]! : new ShardedSink(shards);
    // Within the share of each stream's partition quota the stack was sized to leave for redrive.
    const pacer = new PartitionPacer(
      redrivePartitions(values['partition-quota']),
      AWS_QUOTAS.firehoseBufferStretch * values['buffer-seconds'] * 1000,
      systemClock,
    );
    report = await runRedrive(
      s3LakeStore(values.bucket),
      sink,
      new DynamoTokenStore(new DynamoDBClient({}), values.table),
      { ...options, pacer },
    );
    if (pacer.waitedMs > 0)
      process.stderr.write(
        `redrive: paced to the partition quota: waited ${Math.round(pacer.waitedMs / 1000)} s\n`,
      );
  } else {
    const { dataDir } = readLocalConfig(process.env);
    // A mistyped DATA_DIR is an error, not a directory to create and report zeros for.
    if (!existsSync(dataDir)) throw new Error(`no data directory at ${dataDir}: is DATA_DIR right?`);
    // The server owns the landing areas: redrive refuses while it runs, rather than both writing.
    const lock = await lockDataDir(dataDir, 'npm run redrive');
    try {
      const sink = new SpoolingLakeSink({ dataDir, logger: silentLogger, clock: systemClock });
      await sink.start();
      if (values.salvage) salvaged = await sink.salvageDamaged();
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
  bar.finish();
  // The readable objects were redriven; an unreadable one makes the run fail, after the summary.
  if (report.unreadableObjects.length > 0) process.exitCode = 1;
  process.stdout.write(
    `${[
      ...(salvaged
        ? [
            `damaged spool segments salvaged: ${salvaged.segments}; whole lines landed: ${salvaged.lines}; unreadable lines kept in spool/damaged/: ${salvaged.unreadable}`,
          ]
        : []),
      `Firehose error objects redriven: ${report.errorObjects} (${report.errorLines} records); moved to redriven/errors/`,
      `quarantined messages checked: ${report.quarantineChecked}; valid now and redriven: ${report.quarantineNowValid}; redriven before: ${report.quarantineAlreadyRedriven}`,
      ...report.unreadableObjects.map(
        (key) =>
          `unreadable object left as it is (the others were redriven; locally npm run query sets it aside, docs/operations.md): ${key}`,
      ),
    ].join('\n')}\n`,
  );
});
