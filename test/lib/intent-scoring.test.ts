import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib/core';
import type { SegmentLakeStack } from '../../lib/segment-lake-stack';
import { synthStack } from '../support/stack';

describe('the intent job on AWS (synth)', () => {
  let stack: SegmentLakeStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthStack());
  });

  const definition = () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const id = stack.resolve((stack.intent.stateMachine.node.defaultChild as CfnResource).logicalId);
    const body = machines[id as string]!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
    return JSON.parse(body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
  };

  it('plans with a Lambda, UNLOADs a sample per cutoff, trains with a Lambda, scores everyone in Athena, checks the scores, finishes', () => {
    const { States, StartAt, QueryLanguage } = definition();

    expect(QueryLanguage).toBe('JSONata');
    expect(StartAt).toBe('PlanFeatures');
    expect(States.PlanFeatures).toMatchObject({
      Type: 'Task',
      Next: 'UnloadFeatures',
      Assign: { plan: '{% $states.result.Payload %}' },
    });
    expect(States.UnloadFeatures).toMatchObject({
      Type: 'Map',
      Items: '{% $states.input.unloads %}',
      MaxConcurrency: 2,
      Next: 'TrainModel',
    });
    expect(States.UnloadFeatures.ItemProcessor.States.UnloadFeatureSet).toMatchObject({
      Resource: expect.stringMatching(/states:::athena:startQueryExecution\.sync$/),
      Arguments: { QueryString: '{% $states.input.sql %}' },
    });
    expect(States.TrainModel).toMatchObject({
      Type: 'Task',
      Next: 'ScoreInAthena',
      Arguments: expect.objectContaining({ Payload: '{% $merge([$plan, {"step": "train"}]) %}' }),
      Assign: { trained: '{% $states.result.Payload %}' },
    });
    // No function holds the population: Athena runs the model's SQL over every eligible user.
    expect(States.ScoreInAthena).toMatchObject({
      Resource: expect.stringMatching(/states:::athena:startQueryExecution\.sync$/),
      Arguments: expect.objectContaining({ QueryString: '{% $trained.scoreSql %}' }),
      Next: 'CheckScores',
    });
    // The scores' spread, for the finish step to refuse a scoring all alike or shifted.
    expect(States.CheckScores).toMatchObject({
      Resource: expect.stringMatching(/states:::athena:startQueryExecution\.sync$/),
      Arguments: expect.objectContaining({ QueryString: '{% $trained.checkSql %}' }),
      Next: 'FinishRun',
      Catch: [expect.objectContaining({ Next: 'RemoveFeaturesAndScores' })],
    });
    expect(States.FinishRun).toMatchObject({
      End: true,
      Arguments: expect.objectContaining({ Payload: '{% $merge([$trained, {"step": "finish"}]) %}' }),
    });
  });

  it('gives the scoring function the time and memory to train, and each function only its prefixes', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Intent scores, steps 3 and 5'),
      Timeout: 900,
      MemorySize: 3008,
    });
    const actions = (roleId: string) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId))
        .flatMap(([, p]) =>
          p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
            [s.Action].flat(),
          ),
        )
        .sort();
    const scoreRole = stack.resolve(
      (stack.intent.score.role.node.defaultChild as CfnResource).logicalId,
    ) as string;
    // Features read and removed, the trees' table of shares written beside them; saved predictions read
    // and written; reports written; a date's scores emptied (Athena writes them).
    expect(actions(scoreRole)).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      's3:DeleteObject',
      's3:GetObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      's3:PutObject',
      's3:PutObject',
    ]);
  });

  it('catches a failed step: removes the run’s features and partial scores, then fails (which alarms)', () => {
    const { States } = definition();
    // Before the scoring, an earlier run's scores of the same date are left alone; after, the partial
    // scores go with the features.
    for (const [step, next] of [
      ['UnloadFeatures', 'RemoveFeatures'],
      ['TrainModel', 'RemoveFeatures'],
      ['ScoreInAthena', 'RemoveFeaturesAndScores'],
      ['FinishRun', 'RemoveFeaturesAndScores'],
    ])
      expect([step, States[step!].Catch]).toEqual([
        step,
        [expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: next })],
      ]);
    expect(States.RemoveFeatures).toMatchObject({
      Arguments: expect.objectContaining({ Payload: '{% {"step": "remove", "runId": $plan.runId} %}' }),
      Next: 'IntentRunFailed',
    });
    expect(States.RemoveFeaturesAndScores).toMatchObject({
      Arguments: expect.objectContaining({
        Payload: '{% {"step": "remove", "runId": $plan.runId, "scoresPrefix": $plan.scoresPrefix} %}',
      }),
      Next: 'IntentRunFailed',
    });
    expect(States.IntentRunFailed.Type).toBe('Fail');
  });

  it('catalogs the scores with partition projection by customer, event key and date', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'scores',
        PartitionKeys: [
          { Name: 'customer_id', Type: 'string' },
          { Name: 'event_key', Type: 'string' },
          { Name: 'as_of', Type: 'date' },
        ],
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.as_of.type': 'date' }),
      }),
    });
  });
});
