import type { Template } from 'aws-cdk-lib/assertions';
import { athenaCreateCuratedTable, athenaVacuum } from '../../domain/contract/sql/curated-sql';
import type { SegmentLakeStack } from '../../lib/segment-lake-stack';
import { evaluate, evaluateAll } from '../support/jsonata-states';
import { policyStatements, synthStack } from '../support/stack';

type State = Record<string, unknown> & {
  Arguments?: { QueryString?: string };
  ItemProcessor?: { States: Record<string, State> };
};

/** The compaction state machine's definition, tokens (names of other resources) left as a placeholder. */
function definition(template: Template): {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage: string;
} {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).filter((m) =>
    JSON.stringify(m.Properties.StateMachineName ?? '').includes('curated-compaction'),
  );
  const body = machine!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  return JSON.parse(body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
}

describe('the curated-table compaction on AWS (synth)', () => {
  let stack: SegmentLakeStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthStack());
  });
  const db = () => stack.catalog.databaseName;

  it('runs every hour from EventBridge Scheduler, with a dead-letter queue for starts that fail', () => {
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    expect(schedule!.Properties).toMatchObject({
      // Hourly at minute 5; the erase pass at minute 35 (HOURLY_START_MINUTE): never both at once.
      ScheduleExpression: 'cron(5 * * * ? *)',
      Target: {
        Input: '{}',
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [expect.stringMatching(/^CuratedScheduleDeadLetters/), 'Arn'] },
        },
      },
    });
  });

  it('hears of every landing object under events/ from S3, through EventBridge, in an SQS object log', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { object: { key: [{ prefix: 'events/' }] } },
      },
    });
    // Hidden longer than a run may last (6 h), so a running batch is never taken twice.
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 8 * 3600,
      RedrivePolicy: { maxReceiveCount: 5 },
    });
  });

  it('runs one at a time: stage, plan, pack, merge and optimize each item, finish, vacuum once a day', async () => {
    const { States, QueryLanguage } = definition(template);

    expect(QueryLanguage).toBe('JSONata');
    expect(Object.keys(States).sort()).toEqual(
      [
        'TakeLease',
        'LeaseHeldElsewhere',
        'CreateCuratedTable',
        'RenewBeforeUndated',
        'MoveUndatedRows',
        'CreateIdentityFacts',
        'IdentityFactsDue',
        'IdentityFactsDue?',
        'RenewBeforeIdentityBackfill',
        'BackfillIdentityFacts',
        'MarkIdentityFacts',
        'IdentityFactsReady',
        'RenewBeforeStage',
        'StageObjects',
        'AnythingStaged?',
        'FinishEmptyRun',
        'ReleaseLeaseEmpty',
        'PlanPartitions',
        'RenewBeforePack',
        'PackMerges',
        'RenewBeforeBacklogPack',
        'PackBacklogOnly',
        'MergeEachItem',
        'PlanRunIdentities',
        'AnyRunIdentities?',
        'RenewBeforeRunIdentities',
        'MergeRunIdentities',
        'ClearRunIdentities',
        'IdentityPackHour?',
        'RenewBeforeOptimizeIdentityFacts',
        'FinishRun',
        'ReleaseLease',
        'VacuumHour?',
        'OptimizeIdentityFacts',
        'Vacuum',
        'VacuumIdentityFacts',
        'AnyCustomerParked?',
        'CustomersParked',
        'Done',
      ].sort(),
    );
    // Nothing new staged, a backlog waiting: its share is packed without a plan query; nothing at all: done.
    const staged = States['AnythingStaged?'] as unknown as {
      Choices: { Condition: string; Next: string }[];
      Default: string;
    };
    const route = async (customers: string[], backlogBatches: number) => {
      for (const choice of staged.Choices)
        if (await evaluate(choice.Condition, { input: { customers, backlogBatches } })) return choice.Next;
      return staged.Default;
    };
    expect(await route([], 0)).toBe('FinishEmptyRun');
    expect(await route([], 2)).toBe('RenewBeforeBacklogPack');
    expect(States.RenewBeforeBacklogPack!.Next).toBe('PackBacklogOnly');
    expect(States.PackBacklogOnly!.Next).toBe('MergeEachItem');
    expect(await route(['acme'], 0)).toBe('PlanPartitions');
    expect(await route(['acme'], 2)).toBe('PlanPartitions');
    const map = States.MergeEachItem!;
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 4 });
    // No tolerated failures: one failed merge fails the run, and nothing leaves the object log.
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(map.ItemReader).toMatchObject({
      Resource: expect.stringMatching(/^arn:.*:states:::s3:getObject$/),
      ReaderConfig: { InputType: 'JSON' },
    });
    // An item: its MERGE and OPTIMIZE together, else customer by customer; then its customers' messages
    // leave the log. Each commit renews the lease first, with the holder and fence the item carries.
    const item = map.ItemProcessor!.States as Record<
      string,
      State & { Next?: string; Catch?: { Next: string }[] }
    >;
    expect(Object.keys(item).sort()).toEqual(
      [
        'BacklogWindowOver?',
        'CommitItem',
        'EachCustomerAlone',
        'HoldItem',
        'LeaveForNextRun',
        'MergeTogether',
      ].sort(),
    );
    // A backlog item past the lane's window is left for the next run; a live item always runs.
    expect(item.HoldItem!.Next).toBe('BacklogWindowOver?');
    const window = item['BacklogWindowOver?'] as unknown as {
      Choices: { Condition: string; Next: string }[];
      Default: string;
    };
    expect(window.Default).toBe('MergeTogether');
    expect(window.Choices[0]!.Next).toBe('LeaveForNextRun');
    expect(item.LeaveForNextRun!.Type).toBe('Pass');
    expect(item.LeaveForNextRun!.Next).toBeUndefined();
    const over = (notAfter: number | null) =>
      evaluate(window.Choices[0]!.Condition, {}, { item: { notAfter } });
    expect(await over(null)).toBe(false);
    expect(await over(Date.now() + 60_000)).toBe(false);
    expect(await over(Date.now() - 1)).toBe(true);
    expect(item.MergeTogether!.Next).toBe('CommitItem');
    expect(item.MergeTogether!.Catch![0]!.Next).toBe('EachCustomerAlone');
    expect(item.EachCustomerAlone!.Next).toBe('CommitItem');
    const together = (
      item.MergeTogether as unknown as {
        Branches: { StartAt: string; States: Record<string, { Next?: string }> }[];
      }
    ).Branches[0]!;
    const order: string[] = [];
    for (let at: string | undefined = together.StartAt; at; at = together.States[at]!.Next) order.push(at);
    expect(order).toEqual(['RenewBeforeMerge', 'Merge', 'RenewBeforeOptimize', 'OptimizeMerged']);
    // After the items, the run's identity facts in one statement (the facts table's one writer); one
    // that fails leaves its scope pending and the run goes on to its finish.
    expect(States.MergeEachItem!.Next).toBe('PlanRunIdentities');
    const anyFacts = States['AnyRunIdentities?'] as unknown as {
      Choices: { Condition: string; Next: string }[];
      Default: string;
    };
    expect(
      await evaluate(anyFacts.Choices[0]!.Condition, { input: { sql: 'MERGE …', pendingKey: 'k' } }),
    ).toBe(true);
    expect(await evaluate(anyFacts.Choices[0]!.Condition, { input: { sql: null, pendingKey: null } })).toBe(
      false,
    );
    expect(anyFacts.Default).toBe('FinishRun');
    expect(States.MergeRunIdentities!.Next).toBe('ClearRunIdentities');
    expect((States.MergeRunIdentities as unknown as { Catch: { Next: string }[] }).Catch[0]!.Next).toBe(
      'FinishRun',
    );
    expect(
      await evaluateAll((States.ClearRunIdentities!.Arguments as { Payload?: unknown }).Payload, {
        input: { sql: 'MERGE …', pendingKey: 'curated/_staging/_identity/pending/run-7.json' },
        context: { Execution: { Name: 'run-7' } },
      }),
    ).toEqual({
      step: 'markIdentityFacts',
      runId: 'run-7',
      pendingKeys: ['curated/_staging/_identity/pending/run-7.json'],
    });
    // Once a day the facts' small files are packed, under the lease (an erase pass rewrites them too).
    expect(States.ClearRunIdentities!.Next).toBe('IdentityPackHour?');
    expect(States.RenewBeforeOptimizeIdentityFacts!.Next).toBe('OptimizeIdentityFacts');
    expect(States.OptimizeIdentityFacts!.Next).toBe('FinishRun');
    // The rows an earlier release dated 1970-01-01 are moved before the run stages anything.
    expect(States.CreateCuratedTable!.Next).toBe('RenewBeforeUndated');
    expect(States.RenewBeforeUndated!.Next).toBe('MoveUndatedRows');
    expect(States.MoveUndatedRows!.Next).toBe('CreateIdentityFacts');
    // The identity facts table, then — for a lake from before it, once — the facts of its whole history.
    expect(States.CreateIdentityFacts!.Next).toBe('IdentityFactsDue');
    const backfill = States['IdentityFactsDue?'] as unknown as {
      Choices: { Condition: string; Next: string }[];
      Default: string;
    };
    expect(await evaluate(backfill.Choices[0]!.Condition, { input: { due: true } })).toBe(true);
    expect(await evaluate(backfill.Choices[0]!.Condition, { input: { due: false } })).toBe(false);
    expect(backfill.Choices[0]!.Next).toBe('RenewBeforeIdentityBackfill');
    expect(backfill.Default).toBe('IdentityFactsReady');
    expect(States.BackfillIdentityFacts!.Next).toBe('MarkIdentityFacts');
    // A failed backfill goes on unmarked: the next run tries again; this one still merges.
    expect((States.BackfillIdentityFacts as unknown as { Catch: { Next: string }[] }).Catch[0]!.Next).toBe(
      'IdentityFactsReady',
    );
    expect(States.MarkIdentityFacts!.Next).toBe('IdentityFactsReady');
    expect(States.IdentityFactsReady!.Next).toBe('RenewBeforeStage');
    expect(JSON.stringify(States.MoveUndatedRows!.Arguments)).toContain(
      "WHERE event_date = DATE '1970-01-01'",
    );
  });

  it('takes the lease first, and skips the hour when the lease is held (test/lib/job-lease.test.ts runs it)', () => {
    const { StartAt, States } = definition(template);
    expect(StartAt).toBe('TakeLease');
    expect(States.TakeLease).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: 'LeaseHeldElsewhere' }],
    });
    expect(States.LeaseHeldElsewhere!.Type).toBe('Succeed');
    // Given up after the commits, before the daily VACUUM, which runs outside it.
    expect(States.FinishRun!.Next).toBe('ReleaseLease');
    expect(States.ReleaseLease!.Next).toBe('VacuumHour?');
  });

  it('sends the statements of curated-sql.ts: the table, the staged plan, each item’s MERGE and OPTIMIZE', async () => {
    const { States } = definition(template);
    const sql = (name: string, input: Record<string, unknown> = {}) =>
      evaluate(States[name]!.Arguments!.QueryString!, { input, context: { Execution: { Name: 'run-7' } } });
    const item = States.MergeEachItem!.ItemProcessor!.States;

    // The lake bucket's name is a token at synth: TOKEN in the definition read here.
    expect(await sql('CreateCuratedTable')).toBe(
      athenaCreateCuratedTable(db(), 's3://TOKEN/curated/events/'),
    );
    expect(await sql('PlanPartitions', { planSql: 'SELECT 1' })).toBe('SELECT 1');
    expect(await sql('Vacuum')).toBe(athenaVacuum(db()));
    type Branched = State & { Branches: { States: Record<string, State> }[] };
    const together = (item.MergeTogether as Branched).Branches[0]!.States;
    const anItem = {
      merge: 'MERGE…',
      optimize: 'OPTIMIZE…',
      commits: ['acme', 'globex'],
      alone: [{ customerId: 'acme', merge: 'MERGE acme', optimize: 'OPTIMIZE acme' }],
      holder: 'run-7',
      fence: '3',
    };
    expect(await evaluate(together.Merge!.Arguments!.QueryString!, {}, { item: anItem })).toBe('MERGE…');
    expect(await evaluate(together.OptimizeMerged!.Arguments!.QueryString!, {}, { item: anItem })).toBe(
      'OPTIMIZE…',
    );
    // Customer by customer: each alone's own statements.
    const alone = item.EachCustomerAlone!.ItemProcessor!.States;
    const one = (alone.MergeOneCustomer as Branched).Branches[0]!.States;
    expect(await evaluate(one.MergeAlone!.Arguments!.QueryString!, {}, { customer: anItem.alone[0] })).toBe(
      'MERGE acme',
    );
    // A parked customer keeps its messages; the item's others leave the log.
    const commit = item.CommitItem! as State & { Arguments: { Payload: { customers: string } } };
    expect(
      await evaluate(commit.Arguments.Payload.customers, {}, { item: anItem, parked: ['acme'] }),
    ).toEqual(['globex']);
    expect(
      await evaluate(commit.Arguments.Payload.customers, {}, { item: anItem, parked: ['acme', 'globex'] }),
    ).toEqual([]);
    // A backlog item's days are noted for the finish, unless its customer was parked.
    const noted = (commit.Arguments.Payload as unknown as { backlog: string }).backlog;
    const backlog = { customerId: 'acme', days: ['2021-01-01'], batches: ['b'] };
    expect(await evaluate(noted, {}, { item: { ...anItem, backlog }, parked: [] })).toEqual(backlog);
    expect(await evaluate(noted, {}, { item: { ...anItem, backlog }, parked: ['acme'] })).toBeNull();
    expect(await evaluate(noted, {}, { item: { ...anItem, backlog: null }, parked: [] })).toBeNull();
    const eachAssign = (item.EachCustomerAlone as State & { Assign: { parked: string } }).Assign.parked;
    expect(
      await evaluate(eachAssign, {
        result: [{ customerId: 'acme', parked: true }, { customerId: 'globex' }],
      }),
    ).toEqual(['acme']);
    // The run gathers every item's parked customers, and ends failed naming them.
    const runAssign = (States.MergeEachItem as State & { Assign: { parked: string } }).Assign.parked;
    expect(
      await evaluate(runAssign, {
        result: [{ parked: ['acme'] }, { parked: [] }, { parked: ['acme', 'x'] }],
      }),
    ).toEqual(['acme', 'x']);
    expect(await evaluate(runAssign, { result: [{ parked: [] }] })).toEqual([]);
    const parkedChoice = States['AnyCustomerParked?'] as unknown as {
      Choices: { Condition: string; Next: string }[];
    };
    expect(await evaluate(parkedChoice.Choices[0]!.Condition, {}, { parked: ['acme'] })).toBe(true);
    expect(await evaluate(parkedChoice.Choices[0]!.Condition, {}, { parked: [] })).toBe(false);
    expect(parkedChoice.Choices[0]!.Next).toBe('CustomersParked');
    expect(await evaluate(String(States.CustomersParked!.Cause), {}, { parked: ['acme', 'x'] })).toBe(
      'MERGE failed even customer by customer for: acme, x (their objects stay in the object log)',
    );
  });

  it('grants its role only named actions on its workgroup, database, prefixes and results', () => {
    const [role] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
      id.startsWith('CuratedStateMachineRole'),
    );
    const statements = policyStatements(template);
    const actions = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(role!))
      .flatMap(([, p]) =>
        p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
          [s.Action].flat(),
        ),
      )
      .sort();

    expect(statements.every((s) => ![s.Action].flat().some((a) => a.includes('*')))).toBe(true);
    expect(actions).toEqual(
      expect.arrayContaining([
        'athena:StartQueryExecution',
        'glue:UpdateTable',
        's3:GetObject',
        's3:PutObject',
        'dynamodb:UpdateItem',
        'states:StartExecution',
        'lambda:InvokeFunction',
      ]),
    );
    expect(actions.filter((a) => a.startsWith('s3:Delete'))).toEqual(['s3:DeleteObject']);
  });
});
