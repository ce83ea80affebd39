import type { Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import { SYNC_MAX_CONCURRENCY } from '../../lib/prediction-audiences';
import { REFRESH_CONCURRENCY } from '../../lib/prediction-refresh';
import { synthStack } from '../support/stack';

type State = Record<string, unknown> & {
  Type: string;
  Next?: string;
  Output?: string;
  Catch?: { ErrorEquals: string[]; Next: string; Output?: string }[];
  Choices?: { Condition: string; Next: string }[];
  Default?: string;
  Cause?: string;
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  ItemReader?: { Resource: string; Arguments: Record<string, string> };
  ItemProcessor?: { StartAt: string; States: Record<string, State> };
};

/** The definition of the state machine that starts at `state`. */
function definition(template: Template, state: string): { StartAt: string; States: Record<string, State> } {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map((m) => {
    const body = m.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
    return JSON.parse(body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
  });
  return machines.find((m) => m.StartAt === state)!;
}

/** A `{% %}` expression evaluated as Step Functions does, with `$states` and the variables given. */
async function evaluate(expression: string, states: Record<string, unknown>, vars: Record<string, unknown>) {
  const match = /^\{%(.*)%\}$/s.exec(expression);
  if (!match) throw new Error(`not JSONata: ${expression}`);
  return jsonata(match[1]!).evaluate({}, { states, ...vars });
}

describe('the weekly refresh and the audience run on AWS (synth)', () => {
  const { template } = synthStack();
  const refresh = definition(template, 'PlanRefresh');
  const audiences = definition(template, 'BuildAudiences');

  it('reruns the predictions due, then every customer’s audiences, two at a time, every Monday', () => {
    expect(refresh.StartAt).toBe('PlanRefresh');
    expect(refresh.States.PlanRefresh!.Next).toBe('EachPrediction');
    expect(refresh.States.EachPrediction!.Next).toBe('EachCustomer');
    expect(refresh.States.EachCustomer!.Next).toBe('AllRan');
    for (const map of ['EachPrediction', 'EachCustomer'])
      expect(refresh.States[map]!.MaxConcurrency).toBe(REFRESH_CONCURRENCY);
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      String(s.Properties.Description).startsWith('Predictions and audiences'),
    );
    expect(schedule!.Properties.ScheduleExpression).toBe('cron(0 6 ? * MON *)');
  });

  it('catches a failed run so the others still run, then fails naming what was not refreshed', async () => {
    const run = refresh.States.EachPrediction!.ItemProcessor!.States.RunPrediction!;
    const input = { customer: 'acme', event: 'Signed Up', lookbackDays: 30, horizonDays: 14 };
    expect(await evaluate(run.Output!, { input }, {})).toEqual({ prediction: input, ok: true });
    const [caught] = run.Catch!;
    expect(caught!.ErrorEquals).toEqual(['States.ALL']);
    expect(
      await evaluate(caught!.Output!, { input, errorOutput: { Error: 'States.TaskFailed' } }, {}),
    ).toEqual({
      prediction: input,
      ok: false,
      error: 'States.TaskFailed',
    });

    const [incomplete] = refresh.States.AllRan!.Choices!;
    const ok = {
      prediction: [{ prediction: input, ok: true }],
      customer: [{ customer: { customer: 'acme' }, ok: true }],
    };
    expect(await evaluate(incomplete!.Condition, {}, ok)).toBe(false);
    // Nothing due and no audiences: nothing to fail.
    expect(await evaluate(incomplete!.Condition, {}, { prediction: [], customer: [] })).toBe(false);
    const failed = {
      prediction: [
        { prediction: input, ok: false, error: 'States.TaskFailed' },
        { prediction: { ...input, customer: 'globex' }, ok: true },
      ],
      customer: [{ customer: { customer: 'acme' }, ok: false }],
    };
    expect(await evaluate(incomplete!.Condition, {}, failed)).toBe(true);
    const fail = refresh.States[incomplete!.Next]!;
    expect(fail.Type).toBe('Fail');
    expect(await evaluate(fail.Cause!, {}, failed)).toBe('not refreshed: acme Signed Up, acme');
  });

  it('sends each customer’s changed users through a Distributed Map over the run’s files, then records the sync', async () => {
    expect(audiences.StartAt).toBe('BuildAudiences');
    expect(audiences.States.BuildAudiences!.Next).toBe('SendChangedUsers');
    const send = audiences.States.SendChangedUsers!;
    expect(send.ItemReader!.Resource).toMatch(/:states:::s3:listObjectsV2$/);
    expect(send.ItemReader!.Arguments.Prefix).toBe('{% $run.prefix %}');
    expect(send.MaxConcurrency).toBe(SYNC_MAX_CONCURRENCY);
    // No failure tolerated (Step Functions' default when neither tolerance is set): one shard fails the run.
    expect([send.ToleratedFailurePercentage ?? 0, send.ToleratedFailureCount ?? 0]).toEqual([0, 0]);
    expect(send.Next).toBe('RecordSync');
    const record = audiences.States.RecordSync!;
    expect(record.Resource).toMatch(/:states:::aws-sdk:s3:putObject$/);
    expect(record.Arguments).toMatchObject({ Key: '{% $run.stateKey %}', Body: '{% $run.state %}' });
  });
});
