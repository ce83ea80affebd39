import { randomBytes, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { ErasureEntry } from '../../domain/contract/erasure';
import { landingPrefix, receivedDt } from '../../domain/contract/lake-areas';
import { STACK_OUTPUTS } from '../../domain/contract/stack-outputs';
import type { TokenStore } from '../../domain/core/keys/token-store';
import { authorizationFor, hashToken } from '../../domain/core/keys/tokens';

/** One check of the smoke test, as it is reported. */
export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

export interface SmokeOptions {
  endpoint: string;
  key: string;
  stack: string;
  /** The Athena workgroup; default: the stack's own (output AthenaWorkGroup). */
  workgroup?: string;
  /** How long to wait for the event in S3, then in Athena. */
  timeoutSeconds: number;
  /** Between two looks at S3 or at a running query. */
  pollSeconds: number;
  /** Skip the alarm-path check (its notification reaches on-call). */
  notify: boolean;
}

export interface SmokeDeps {
  cloudformation: CloudFormationClient;
  /** The deployed tokens table, found from the stack's outputs. */
  tokensFor: (table: string) => TokenStore;
  /** The deployed erasure table (delete requests and their audit), found from the stack's outputs. */
  erasuresFor: (table: string) => { list(customerId: string): Promise<ErasureEntry[]> };
  s3: S3Client;
  athena: AthenaClient;
  cloudwatch: CloudWatchClient;
  fetch: typeof fetch;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Told of each check as it ends. */
  onCheck?: (check: SmokeCheck) => void;
}

/**
 * After a deploy, one event through the real stack end to end: the endpoint refuses a wrong key (401)
 * and a malformed body (400) and accepts a uniquely tagged event (200); the event lands in the lake
 * bucket and Athena finds it; an alarm set to ALARM reaches the alarm topic. Every check is reported, and
 * the first one that fails ends the run (the later ones would only fail for the same reason).
 */
export async function runSmoke(options: SmokeOptions, deps: SmokeDeps): Promise<SmokeCheck[]> {
  const checks: SmokeCheck[] = [];
  const check = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    const started = deps.now().getTime();
    let result: SmokeCheck;
    try {
      result = { name, ok: true, detail: await run(), seconds: 0 };
    } catch (error) {
      result = { name, ok: false, detail: (error as Error).message, seconds: 0 };
    }
    result.seconds = Math.round((deps.now().getTime() - started) / 1000);
    checks.push(result);
    deps.onCheck?.(result);
    return result.ok;
  };

  const endpoint = options.endpoint.replace(/\/+$/, '');
  const messageId = `smoke-${randomUUID()}`;
  const post = async (authorization: string, body: string) => {
    const response = await deps.fetch(`${endpoint}/v1/track`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  };
  const expectStatus = (got: number, want: number, what: string) => {
    if (got !== want) throw new Error(`${what}: answered ${got}, expected ${want}`);
    return `answered ${got}`;
  };

  let outputs: Record<string, string> = {};
  let customerId = '';
  let sentAt = new Date(0);
  const steps: [string, () => Promise<string>][] = [
    [
      `stack ${options.stack} has its outputs`,
      async () => {
        outputs = await stackOutputs(deps.cloudformation, options.stack);
        const missing = [
          STACK_OUTPUTS.tokensTable,
          STACK_OUTPUTS.lakeBucket,
          STACK_OUTPUTS.alarmTopic,
          STACK_OUTPUTS.erasureTable,
        ].filter((o) => !outputs[o]);
        if (missing.length) throw new Error(`the stack has no output ${missing.join(', ')}`);
        if (outputs[STACK_OUTPUTS.endpointUrl] && trim(outputs[STACK_OUTPUTS.endpointUrl]!) !== endpoint)
          throw new Error(`--endpoint is not this stack's endpoint (${outputs[STACK_OUTPUTS.endpointUrl]})`);
        return `bucket ${outputs[STACK_OUTPUTS.lakeBucket]}, table ${outputs[STACK_OUTPUTS.tokensTable]}`;
      },
    ],
    [
      'the key belongs to an active customer',
      async () => {
        const record = await deps
          .tokensFor(outputs[STACK_OUTPUTS.tokensTable]!)
          .findByHash(hashToken(options.key));
        if (!record) throw new Error('no such key in the tokens table (npm run tokens -- create --table …)');
        if (record.status !== 'active') throw new Error(`the key is ${record.status}`);
        customerId = record.customerId;
        return `customer ${customerId}`;
      },
    ],
    [
      'a wrong key is refused',
      async () =>
        expectStatus(
          await post(authorizationFor(`sgl_${randomBytes(24).toString('hex')}`), '{}'),
          401,
          'a made-up key',
        ),
    ],
    [
      'a malformed body is refused',
      async () =>
        expectStatus(await post(authorizationFor(options.key), '{"type": "track",'), 400, 'broken JSON'),
    ],
    [
      'a tagged event is accepted',
      async () => {
        sentAt = deps.now();
        const event = {
          type: 'track',
          event: 'Smoke Test',
          messageId,
          anonymousId: 'smoke-test',
          timestamp: sentAt.toISOString(),
          properties: { smoke: true },
        };
        return `${expectStatus(await post(authorizationFor(options.key), JSON.stringify(event)), 200, 'the event')}, messageId ${messageId}`;
      },
    ],
    [
      'the event lands in the lake bucket',
      async () => {
        const key = await waitFor(options, deps, 'S3', () =>
          findInLake(deps.s3, outputs[STACK_OUTPUTS.lakeBucket]!, customerId, messageId, sentAt, deps.now()),
        );
        return `in s3://${outputs[STACK_OUTPUTS.lakeBucket]}/${key}`;
      },
    ],
    [
      'Athena finds it',
      async () => {
        const workgroup = options.workgroup ?? outputs[STACK_OUTPUTS.athenaWorkGroup];
        const database = outputs[STACK_OUTPUTS.glueDatabase];
        if (!workgroup || !database)
          throw new Error('the stack has no Athena workgroup or Glue database output');
        const days = [
          ...new Set([
            receivedDt({ received_at: sentAt.toISOString() }),
            receivedDt({ received_at: deps.now().toISOString() }),
          ]),
        ];
        const rows = await athenaCount(deps, options, workgroup, database, customerId, days, messageId);
        if (rows !== 1)
          throw new Error(`the events table has ${rows} rows with messageId ${messageId}, expected 1`);
        return `1 row in ${database}.events (workgroup ${workgroup})`;
      },
    ],
    [
      "a Segment delete for the smoke test's own user is recorded in the audit",
      async () => {
        const deleteId = `smoke-delete-${randomUUID()}`;
        const request = { type: 'delete', userId: `smoke-user-${randomUUID()}`, messageId: deleteId };
        const status = await deps.fetch(`${endpoint}/v1/delete`, {
          method: 'POST',
          headers: { authorization: authorizationFor(options.key), 'content-type': 'application/json' },
          body: JSON.stringify(request),
        });
        await status.arrayBuffer();
        expectStatus(status.status, 200, 'the delete');
        const entries = await deps.erasuresFor(outputs[STACK_OUTPUTS.erasureTable]!).list(customerId);
        const entry = entries.find((e) => e.message_id === deleteId);
        if (!entry) throw new Error(`the delete ${deleteId} is not in the erasure table`);
        if (!/^[0-9a-f]{64}$/.test(entry.user_hash))
          throw new Error('the audit entry has no keyed hash of the user');
        return `recorded ${entry.status} (${deleteId}); executed within the erase window (docs/privacy.md)`;
      },
    ],
  ];
  if (options.notify)
    steps.push([
      'an alarm reaches the alarm topic (CloudWatch → KMS → SNS)',
      async () => {
        const AlarmName = outputs[STACK_OUTPUTS.alarmPathCheck];
        if (!AlarmName) throw new Error(`the stack has no ${STACK_OUTPUTS.alarmPathCheck} output`);
        const since = deps.now();
        await deps.cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName,
            StateValue: 'ALARM',
            StateReason: `npm run smoke checked ${endpoint} at ${since.toISOString()} (messageId ${messageId}). No action needed.`,
          }),
        );
        try {
          // CloudWatch records each action it ran, and whether it could (e.g. when the key refuses it).
          const summary = await waitFor(options, deps, 'the alarm history', async () => {
            const { AlarmHistoryItems } = await deps.cloudwatch.send(
              new DescribeAlarmHistoryCommand({ AlarmName, HistoryItemType: 'Action', StartDate: since }),
            );
            return AlarmHistoryItems?.[0]?.HistorySummary;
          });
          if (!/^Successfully executed action/i.test(summary))
            throw new Error(`CloudWatch could not notify the topic: ${summary}`);
          return summary;
        } finally {
          await deps.cloudwatch.send(
            new SetAlarmStateCommand({ AlarmName, StateValue: 'OK', StateReason: 'npm run smoke: done' }),
          );
        }
      },
    ]);

  for (const [name, run] of steps) if (!(await check(name, run))) break;
  return checks;
}

const trim = (url: string) => url.replace(/\/+$/, '');

async function stackOutputs(
  cloudformation: CloudFormationClient,
  stack: string,
): Promise<Record<string, string>> {
  const described = await cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
  const found = described.Stacks?.[0];
  if (!found) throw new Error(`no stack ${stack}`);
  return Object.fromEntries((found.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

/** Polls `look` until it gives a value or the timeout passes. */
async function waitFor<T>(
  options: SmokeOptions,
  deps: SmokeDeps,
  what: string,
  look: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = deps.now().getTime() + options.timeoutSeconds * 1000;
  for (;;) {
    const found = await look();
    if (found !== undefined) return found;
    if (deps.now().getTime() >= deadline)
      throw new Error(
        `not in ${what} after ${options.timeoutSeconds} s (Firehose buffers up to its interval; see the dashboard and errors/)`,
      );
    await deps.sleep(options.pollSeconds * 1000);
  }
}

/**
 * The key of the lake object holding the message, if it landed: the customer's landing partitions of
 * the receive day (and of today, should the day have turned since), objects written since it was sent.
 */
async function findInLake(
  s3: S3Client,
  bucket: string,
  customerId: string,
  messageId: string,
  sentAt: Date,
  now: Date,
): Promise<string | undefined> {
  const days = new Set([sentAt, now].map((d) => receivedDt({ received_at: d.toISOString() })));
  // A minute of slack for clocks: an object written before the event was sent cannot hold it.
  const since = sentAt.getTime() - 60_000;
  for (const day of days) {
    const pages = paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: landingPrefix('events', customerId, day) },
    );
    for await (const page of pages)
      for (const object of page.Contents ?? []) {
        if (!object.Key || (object.LastModified && object.LastModified.getTime() < since)) continue;
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        const text = gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8');
        if (text.includes(messageId)) return object.Key;
      }
  }
  return undefined;
}

/** Rows of the events table with the messageId, through the workgroup; values passed as parameters. */
async function athenaCount(
  deps: SmokeDeps,
  options: SmokeOptions,
  workgroup: string,
  database: string,
  customerId: string,
  days: string[],
  messageId: string,
): Promise<number> {
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const started = await deps.athena.send(
    new StartQueryExecutionCommand({
      WorkGroup: workgroup,
      QueryExecutionContext: { Database: database },
      QueryString: `SELECT count(*) FROM events WHERE customer_id = ? AND received_dt IN (${days.map(() => '?').join(', ')}) AND message_id = ?`,
      ExecutionParameters: [customerId, ...days, messageId].map(literal),
    }),
  );
  const id = started.QueryExecutionId!;
  const state = await waitFor(options, deps, 'Athena', async () => {
    const execution = await deps.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const status = execution.QueryExecution?.Status;
    if (status?.State === 'SUCCEEDED') return 'SUCCEEDED';
    if (status?.State === 'FAILED' || status?.State === 'CANCELLED')
      throw new Error(`the query ${status.State.toLowerCase()}: ${status.StateChangeReason ?? ''}`);
    return undefined;
  });
  const results = await deps.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
  // Row 0 is the header; row 1 holds the count.
  const value = results.ResultSet?.Rows?.[1]?.Data?.[0]?.VarCharValue;
  if (state !== 'SUCCEEDED' || value === undefined) throw new Error('the query gave no count');
  return Number(value);
}
