import type { Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import {
  athenaBatchItems,
  athenaCreateCuratedTable,
  athenaMarkTaken,
  athenaMergeItem,
  athenaPlanBatch,
} from '../../lambdas/contract/sql/curated-sql';
import type { SegmentLakeStack } from '../../lib/segment-lake-stack';
import { policyStatements, synthStack } from '../support/stack';

type State = Record<string, unknown> & {
  Arguments?: { QueryString?: string };
  ItemProcessor?: { States: Record<string, State> };
};

/** The state machine's definition, tokens (the workgroup's name) left as a placeholder. */
function definition(template: Template): { States: Record<string, State>; QueryLanguage: string } {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
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

  it('runs every hour from EventBridge Scheduler, with the default look-back', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: { Input: '{"lookbackDays":2}' },
    });
  });

  it('creates the table, plans a batch, merges each customer × month, marks the batch taken, then maintains', () => {
    const { States, QueryLanguage } = definition(template);

    expect(QueryLanguage).toBe('JSONata');
    expect(Object.keys(States)).toEqual([
      'CreateCuratedTable',
      'CreateTakenObjectsTable',
      'CreateBatchesTable',
      'PlanBatch',
      'ListWorkItems',
      'MergeEachCustomerMonth',
      'MarkBatchTaken',
      'Optimize',
      'Vacuum',
    ]);
    const map = States.MergeEachCustomerMonth!;
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 4 });
    // No tolerated failures: one failed merge fails the run, and the batch is not marked taken.
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(map.ItemReader).toMatchObject({
      Resource: expect.stringMatching(/^arn:.*:states:::s3:getObject$/),
      ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
    });
    for (const state of [...Object.values(States), map.ItemProcessor!.States.MergeCustomerMonth!])
      if (state.Type === 'Task')
        expect(state.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
  });

  it('fills in the SQL of curated-sql.ts with the run, the item and the look-back, exactly', async () => {
    const { States } = definition(template);
    const run = { context: { Execution: { Name: 'run-7', Input: { lookbackDays: 3 } } } };
    const sql = (name: string) => States[name]!.Arguments!.QueryString!;

    // The lake bucket's name is a token at synth: TOKEN in the definition read here.
    expect(await evaluate(sql('CreateCuratedTable'), run)).toBe(
      athenaCreateCuratedTable(db(), 's3://TOKEN/curated/events/'),
    );
    expect(await evaluate(sql('PlanBatch'), run)).toBe(athenaPlanBatch(db(), 'run-7', '3'));
    expect(await evaluate(sql('ListWorkItems'), run)).toBe(athenaBatchItems(db(), 'run-7'));
    expect(await evaluate(sql('MarkBatchTaken'), run)).toBe(athenaMarkTaken(db(), 'run-7'));
    const merge =
      States.MergeEachCustomerMonth!.ItemProcessor!.States.MergeCustomerMonth!.Arguments!.QueryString!;
    expect(await evaluate(merge, { ...run, input: { customer_id: 'acme', month: '2024-12' } })).toBe(
      athenaMergeItem(db(), 'run-7', 'acme', '2024-12'),
    );
  });

  it('refuses a look-back that is not a number: nothing but digits reaches the SQL', async () => {
    const { States } = definition(template);
    const plan = States.PlanBatch!.Arguments!.QueryString!;

    expect(await evaluate(plan, { context: { Execution: { Name: 'r', Input: {} } } })).toBe(
      athenaPlanBatch(db(), 'r', '2'),
    );
    await expect(
      evaluate(plan, {
        context: { Execution: { Name: 'r', Input: { lookbackDays: "1' DAY; DROP TABLE x --" } } },
      }),
      // JSONata rejects with a plain object, not an Error.
    ).rejects.toMatchObject({ message: expect.stringContaining('Unable to cast value to a number') });
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
        'states:StartExecution',
      ]),
    );
    expect(actions.filter((a) => a.startsWith('s3:Delete'))).toEqual(['s3:DeleteObject']);
  });
});
