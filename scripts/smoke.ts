import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import * as v from 'valibot';
import { DynamoErasureLog } from '../adapters/aws/dynamo-erasure-log';
import { DynamoTokenStore } from '../adapters/aws/dynamo-token-store';
import { type CommandSpec, type Flag, runCommand, UsageError, wholeNumber } from '../cli/command';
import { jsonFlag } from '../cli/flags';
import { duration } from '../cli/progress';
import { DEFAULT_STACK_NAME } from '../domain/contract/stack-outputs';
import { runSmoke, type SmokeCheck } from './smoke/run-smoke';

const SMOKE = {
  name: 'npm run smoke --',
  summary: [
    'After cdk deploy: one uniquely tagged event through the deployed stack, end to end. Checks that a',
    'wrong key gets 401 and a malformed body 400, that the event is accepted, lands in the lake bucket',
    'and is found by Athena, and that the alarm topic takes a test notification. Uses the standard AWS',
    "credential chain and reads the bucket, table and topic from the stack's outputs. Exit 0: it works.",
  ].join('\n'),
  flags: {
    endpoint: {
      kind: 'value',
      schema: v.pipe(v.string(), v.url('a URL'), v.startsWith('https://', 'an https:// URL')),
      unit: 'url',
      description: 'the stack output EndpointUrl',
    },
    key: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a key')),
      unit: 'key',
      description: 'an active API key (npm run tokens -- create --table …)',
    },
    workgroup: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a workgroup name')),
      unit: 'name',
      description: "the Athena workgroup (default: the stack's AthenaWorkGroup)",
    },
    stack: {
      kind: 'value',
      schema: v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'a stack name')),
      unit: 'name',
      description: 'the stack deployed',
      default: DEFAULT_STACK_NAME,
    },
    // Firehose buffers up to 900 s with the stack's largest setting; a minute more for Athena.
    timeout: {
      kind: 'value',
      schema: wholeNumber(10, 3_600),
      unit: 's',
      description: 'how long to wait for the event in S3, and for Athena',
      default: '960',
    },
    'no-notify': {
      kind: 'switch',
      description: 'skip the alarm-path check (its ALARM and OK notifications page on-call)',
    },
    json: jsonFlag('the checks as JSON on stdout'),
  },
  examples: [
    'npm run smoke -- --endpoint https://abc123.execute-api.eu-west-1.amazonaws.com/prod/ --key sgl_…',
    'npm run smoke -- --endpoint <EndpointUrl> --key <key> --workgroup analysts --no-notify',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(SMOKE, async ({ values }) => {
  if (!values.endpoint || !values.key)
    throw new UsageError('--endpoint <EndpointUrl> and --key <key> are needed');
  const line = (c: SmokeCheck) =>
    `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail} (${duration(c.seconds)})`;
  const checks = await runSmoke(
    {
      endpoint: values.endpoint,
      key: values.key,
      stack: values.stack,
      ...(values.workgroup ? { workgroup: values.workgroup } : {}),
      timeoutSeconds: values.timeout,
      // Firehose writes at most once per buffer interval (60 s at least): 15 s between looks is enough.
      pollSeconds: 15,
      notify: !values['no-notify'],
    },
    {
      cloudformation: new CloudFormationClient({}),
      tokensFor: (table) => new DynamoTokenStore(new DynamoDBClient({}), table),
      // Listing needs no key: the audit holds hashes only.
      erasuresFor: (table) =>
        new DynamoErasureLog(
          new DynamoDBClient({}),
          table,
          () => Promise.reject(new Error('smoke never hashes')),
          () => Date.now(),
        ),
      s3: new S3Client({}),
      athena: new AthenaClient({}),
      cloudwatch: new CloudWatchClient({}),
      fetch,
      now: () => new Date(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      // Each check on stderr as it ends: the wait for Firehose can take minutes.
      onCheck: (c) => process.stderr.write(`smoke: ${line(c)}\n`),
    },
  );
  const failed = checks.filter((c) => !c.ok);
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, checks })}\n`);
  else
    process.stdout.write(
      `\n${failed.length === 0 ? `The deployed stack works: ${checks.length} checks passed.` : `The deployed stack does NOT work: ${failed[0]!.name} failed.`}\n${checks.map(line).join('\n')}\n`,
    );
  if (failed.length > 0) process.exit(1);
});
