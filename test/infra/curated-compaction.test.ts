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
function definition(template: Template): { States: Record<string, State>; QueryLanguage: string } {
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
        'OneRunAtATime',
        'AlreadyRunning?',
        'AnotherRunIsRunning',
        'ErasePassRunning',
        'Erasing?',
        'ErasePassIsRunning',
        'CreateCuratedTable',
        'MoveUndatedRows',
        'StageObjects',
        'AnythingStaged?',
        'FinishEmptyRun',
        'PlanPartitions',
        'PackMerges',
        'MergeEachItem',
        'FinishRun',
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
    expect(Object.keys(map.ItemProcessor!.States)).toEqual(['Merge', 'OptimizeMerged']);
    // The rows an earlier release dated 1970-01-01 are moved before the run stages anything.
    expect(States.CreateCuratedTable!.Next).toBe('MoveUndatedRows');
    expect(States.MoveUndatedRows!.Next).toBe('StageObjects');
    expect(JSON.stringify(States.MoveUndatedRows!.Arguments)).toContain(
      "WHERE event_date = DATE '1970-01-01'",
    );
  });

  it('skips a run while another one runs (the guard, evaluated as Step Functions would)', async () => {
    const { States } = definition(template);
    const guard = States.OneRunAtATime!;
    const choice = States['AlreadyRunning?'] as unknown as {
      Choices: { Condition: string; Next: string }[];
      Default: string;
    };
    const running = (executions: number) =>
      evaluate((guard.Output as { running: string }).running, {
        result: { Executions: Array.from({ length: executions }, (_, i) => ({ name: `run-${i}` })) },
      });

    expect(guard).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
      Arguments: { StatusFilter: 'RUNNING' },
    });
    expect(await evaluate(choice.Choices[0]!.Condition, { input: { running: await running(1) } })).toBe(
      false,
    );
    expect(await evaluate(choice.Choices[0]!.Condition, { input: { running: await running(2) } })).toBe(true);
    expect(choice.Choices[0]!.Next).toBe('AnotherRunIsRunning');
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
        input: { merge: 'MERGE…', optimize: 'OPTIMIZE…' },
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
        'states:ListExecutions',
        'states:StartExecution',
        'lambda:InvokeFunction',
      ]),
    );
    expect(actions.filter((a) => a.startsWith('s3:Delete'))).toEqual(['s3:DeleteObject']);
  });
});
