import type { Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import { athenaCreateCuratedTable, athenaVacuum } from '../../domain/contract/sql/curated-sql';
import type { SegmentLakeStack } from '../../lib/segment-lake-stack';
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

/** Evaluates a state's JSONata `{% … %}` as Step Functions would, in a given run and item. */
async function evaluate(expression: string, states: Record<string, unknown>): Promise<unknown> {
  const body = /^\{%(.*)%\}$/s.exec(expression)![1]!;
  return jsonata(body).evaluate({}, { states });
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

  it('runs one at a time: stage, plan, pack, merge and optimize each item, finish, vacuum once a day', () => {
    const { States, QueryLanguage } = definition(template);

    expect(QueryLanguage).toBe('JSONata');
    expect(Object.keys(States).sort()).toEqual(
      [
        'TakeLease',
        'LeaseHeldElsewhere',
        'CreateCuratedTable',
        'RenewBeforeUndated',
        'MoveUndatedRows',
        'RenewBeforeStage',
        'StageObjects',
        'AnythingStaged?',
        'FinishEmptyRun',
        'ReleaseLeaseEmpty',
        'PlanPartitions',
        'RenewBeforePack',
        'PackMerges',
        'MergeEachItem',
        'FinishRun',
        'ReleaseLease',
        'VacuumHour?',
        'Vacuum',
        'Done',
      ].sort(),
    );
    const map = States.MergeEachItem!;
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 4 });
    // No tolerated failures: one failed merge fails the run, and nothing leaves the object log.
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(map.ItemReader).toMatchObject({
      Resource: expect.stringMatching(/^arn:.*:states:::s3:getObject$/),
      ReaderConfig: { InputType: 'JSON' },
    });
    // Each commit renews the lease first, with the holder and fence the item carries (fencing).
    expect(Object.keys(map.ItemProcessor!.States)).toEqual([
      'RenewBeforeMerge',
      'Merge',
      'RenewBeforeOptimize',
      'OptimizeMerged',
    ]);
    // The rows an earlier release dated 1970-01-01 are moved before the run stages anything.
    expect(States.CreateCuratedTable!.Next).toBe('RenewBeforeUndated');
    expect(States.RenewBeforeUndated!.Next).toBe('MoveUndatedRows');
    expect(States.MoveUndatedRows!.Next).toBe('RenewBeforeStage');
    expect(JSON.stringify(States.MoveUndatedRows!.Arguments)).toContain(
      "WHERE event_date = DATE '1970-01-01'",
    );
  });

  it('takes the lease first, and skips the hour when the lease is held (test/infra/job-lease.test.ts runs it)', () => {
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
    expect(
      await evaluate(item.Merge!.Arguments!.QueryString!, {
        input: { merge: 'MERGE…', optimize: 'OPTIMIZE…', holder: 'run-7', fence: '3' },
      }),
    ).toBe('MERGE…');
    expect(
      await evaluate(item.OptimizeMerged!.Arguments!.QueryString!, { input: { optimize: 'OPTIMIZE…' } }),
    ).toBe('OPTIMIZE…');
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
