import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { landingPrefix } from '../../domain/contract/lake-areas';
import { STACK_OUTPUTS } from '../../domain/contract/stack-outputs';
import { revokeToken } from '../../domain/core/keys/token-admin';
import { runSmoke, type SmokeDeps, type SmokeOptions } from '../../scripts/smoke/run-smoke';
import { mockAws } from '../support/aws-mocks';
import { createPinnedClock } from '../support/factories';
import { makeToken, useLocalDestination } from '../support/local-destination';

// The deployed stack, offline: the real HTTP path is the local destination (same handlers, same
// answers), and S3 is served from the lake it writes; CloudFormation, Athena and CloudWatch are mocked.
describe('npm run smoke against a stack (mocked AWS, the local destination as the endpoint)', () => {
  // The stack's clock and the smoke test's start 10 s before a midnight: the event is received on
  // 06-30 and looked for after the day turned.
  const SENT = Date.parse('2026-06-30T23:59:50Z');
  const local = useLocalDestination('smoke-', { clock: createPinnedClock(SENT) });
  const cloudformation = mockAws(CloudFormationClient);
  const s3 = mockAws(S3Client);
  const athena = mockAws(AthenaClient);
  const cloudwatch = mockAws(CloudWatchClient);
  let key: string;

  beforeAll(async () => {
    ({ token: key } = await makeToken(local.dataDir, 'smoke-co'));
  });
  beforeEach(() => {
    for (const mock of [cloudformation, s3, athena, cloudwatch]) mock.reset();
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'SegmentLakeDestination',
          CreationTime: new Date(0),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: Object.entries({
            [STACK_OUTPUTS.endpointUrl]: `${local.destination.url}/`,
            [STACK_OUTPUTS.tokensTable]: 'tokens',
            [STACK_OUTPUTS.erasureTable]: 'erasures',
            [STACK_OUTPUTS.lakeBucket]: 'lake',
            [STACK_OUTPUTS.alarmTopic]: 'arn:aws:sns:eu-west-1:123456789012:alarms',
            [STACK_OUTPUTS.alarmPathCheck]: 'Smoke-AlarmPathCheck',
            [STACK_OUTPUTS.glueDatabase]: 'segmentlakedestination',
            [STACK_OUTPUTS.athenaWorkGroup]: 'segmentlakedestination_lake',
          }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    // S3 as the local lake: the prefix lists the files under it, and an object is the file.
    const lake = join(local.dataDir, 'lake');
    s3.on(ListObjectsV2Command).callsFake(({ Prefix }: { Prefix: string }) => {
      const dir = join(lake, Prefix);
      const keys = existsSync(dir) ? readdirSync(dir).map((name) => `${Prefix}${name}`) : [];
      return {
        Contents: keys.map((Key) => ({ Key, LastModified: statSync(join(lake, Key)).mtime })),
      };
    });
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => ({
      Body: { transformToByteArray: async () => new Uint8Array(readFileSync(join(lake, Key))) },
    }));
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { Rows: [{ Data: [{ VarCharValue: '_col0' }] }, { Data: [{ VarCharValue: '1' }] }] },
    });
    cloudwatch.on(SetAlarmStateCommand).resolves({});
    // The first look finds no action yet; the second, CloudWatch's record of the notification.
    cloudwatch
      .on(DescribeAlarmHistoryCommand)
      .resolvesOnce({ AlarmHistoryItems: [] })
      .resolves({
        AlarmHistoryItems: [
          { HistorySummary: 'Successfully executed action arn:aws:sns:eu-west-1:123456789012:alarms' },
        ],
      });
  });

  const options = (over: Partial<SmokeOptions> = {}): SmokeOptions => ({
    endpoint: local.destination.url,
    key,
    stack: 'SegmentLakeDestination',
    timeoutSeconds: 60,
    pollSeconds: 15,
    notify: true,
    ...over,
  });
  /** Real fetch and token file; a clock that moves only when the smoke test waits. */
  const deps = (): SmokeDeps & { waited: () => number } => {
    let now = SENT;
    let waited = 0;
    return {
      cloudformation: new CloudFormationClient({}),
      tokensFor: (table) => {
        expect(table).toBe('tokens');
        return new FileTokenStore(local.dataDir);
      },
      erasuresFor: (table) => {
        expect(table).toBe('erasures');
        return new FileErasureLog(local.dataDir);
      },
      s3: new S3Client({}),
      athena: new AthenaClient({}),
      cloudwatch: new CloudWatchClient({}),
      fetch,
      now: () => new Date(now),
      sleep: async (ms) => {
        waited += ms;
        now += ms;
        // Firehose delivers in its own time: here, the local destination lands what it buffered.
        await local.destination.flush();
      },
      waited: () => waited,
    };
  };

  it('passes every check on a working stack, and never shows the key', async () => {
    const d = deps();
    const checks = await runSmoke(options(), d);

    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['stack SegmentLakeDestination has its outputs', true],
      ['the key belongs to an active customer', true],
      ['a wrong key is refused', true],
      ['a malformed body is refused', true],
      ['a tagged event is accepted', true],
      ['the event lands in the lake bucket', true],
      ['Athena finds it', true],
      ["a Segment delete for the smoke test's own user is recorded in the audit", true],
      ['an alarm reaches the alarm topic (CloudWatch → KMS → SNS)', true],
    ]);
    const messageId = /messageId (smoke-[\w-]+)/.exec(checks[4]!.detail)![1]!;
    // Found where the lake contract lands it: the customer's partition of the receive day.
    expect(checks[5]!.detail).toContain(`s3://lake/${landingPrefix('events', 'smoke-co', '2026-06-30')}`);
    const query = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(query).toMatchObject({
      WorkGroup: 'segmentlakedestination_lake',
      QueryExecutionContext: { Database: 'segmentlakedestination' },
    });
    expect(query.QueryString).toMatch(
      /FROM events WHERE customer_id = \? AND received_dt IN \(\?, \?\) AND message_id = \?/,
    );
    // The day turned while it waited: both receive days are asked for.
    expect(query.ExecutionParameters).toEqual([
      "'smoke-co'",
      "'2026-06-30'",
      "'2026-07-01'",
      `'${messageId}'`,
    ]);
    // The check alarm went to ALARM, and back to OK afterwards.
    expect(cloudwatch.commandCalls(SetAlarmStateCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ AlarmName: 'Smoke-AlarmPathCheck', StateValue: 'ALARM' }),
      expect.objectContaining({ AlarmName: 'Smoke-AlarmPathCheck', StateValue: 'OK' }),
    ]);
    const everything = JSON.stringify([
      checks,
      cloudwatch.commandCalls(SetAlarmStateCommand).map((c) => c.args[0].input),
    ]);
    expect(everything).not.toContain(key);
  });

  it('fails, and stops, when the event never reaches the lake', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    const d = deps();

    const checks = await runSmoke(options({ timeoutSeconds: 60 }), d);

    expect(checks.at(-1)).toMatchObject({
      name: 'the event lands in the lake bucket',
      ok: false,
      detail: expect.stringMatching(/^not in S3 after 60 s/),
    });
    expect(d.waited()).toBe(60_000);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
    expect(cloudwatch.commandCalls(SetAlarmStateCommand)).toHaveLength(0);
  });

  it('fails when CloudWatch could not deliver the alarm (a key or topic that refuses it)', async () => {
    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [
        { HistorySummary: 'Failed to execute action arn:aws:sns:eu-west-1:123456789012:alarms' },
      ],
    });

    const checks = await runSmoke(options(), deps());

    expect(checks.at(-1)).toMatchObject({
      ok: false,
      detail:
        'CloudWatch could not notify the topic: Failed to execute action arn:aws:sns:eu-west-1:123456789012:alarms',
    });
    // Back to OK all the same.
    expect(cloudwatch.commandCalls(SetAlarmStateCommand).at(-1)!.args[0].input.StateValue).toBe('OK');
  });

  it('fails on an Athena query that fails, naming the reason', async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: events' } },
    });

    const checks = await runSmoke(options({ notify: false, workgroup: 'analysts' }), deps());

    expect(checks.at(-1)).toMatchObject({ name: 'Athena finds it', ok: false });
    expect(checks.at(-1)!.detail).toContain('TABLE_NOT_FOUND');
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.WorkGroup).toBe('analysts');
  });

  it('says when --endpoint is not the stack it reads, before sending anything', async () => {
    const checks = await runSmoke(options({ endpoint: 'https://elsewhere.example/prod' }), deps());

    expect(checks).toHaveLength(1);
    expect(checks[0]!.detail).toMatch(/not this stack's endpoint/);
  });

  it('refuses a revoked key before sending anything', async () => {
    const { token, tokenId } = await makeToken(local.dataDir, 'smoke-old');
    await revokeToken(new FileTokenStore(local.dataDir), tokenId, new Date('2026-06-30T00:00:00Z'));

    const checks = await runSmoke(options({ key: token }), deps());

    expect(checks.at(-1)).toMatchObject({ name: 'the key belongs to an active customer', ok: false });
    expect(checks.at(-1)!.detail).toBe('the key is revoked');
  });
});
