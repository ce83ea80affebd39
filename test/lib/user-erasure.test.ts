import { Match, type Template } from 'aws-cdk-lib/assertions';
import { athenaVacuum } from '../../domain/contract/sql/curated-sql';
import { athenaSnapshotRetention, SNAPSHOT_AGE_SECONDS } from '../../domain/contract/sql/erasure-sql';
import {
  ERASE_CONCURRENCY,
  ERASE_STEPS_CONCURRENCY,
  REWRITE_CONCURRENCY,
} from '../../domain/core/erasure/erase-capacity';
import type { SegmentLakeStack } from '../../lib/segment-lake-stack';
import { evaluate, evaluateAll } from '../support/jsonata-states';
import { synthStack } from '../support/stack';

type State = Record<string, unknown> & {
  Type: string;
  Next?: string;
  Arguments?: Record<string, unknown> & { QueryString?: string; Payload?: Record<string, unknown> };
  Output?: unknown;
  Assign?: Record<string, string>;
  Choices?: { Condition: string; Next: string }[];
  Default?: string;
  Catch?: { Next: string; Output?: string }[];
  Branches?: { StartAt: string; States: Record<string, State> }[];
  ItemProcessor?: { States: Record<string, State> };
  Seconds?: number;
};

function definition(
  template: Template,
  name = 'user-erasure',
): {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage: string;
} {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).filter((m) =>
    JSON.stringify(m.Properties.StateMachineName ?? '').includes(name),
  );
  const body = machine!.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof body === 'string') return JSON.parse(body);
  return JSON.parse(body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
}

describe('the erase pass on AWS (synth)', () => {
  let stack: SegmentLakeStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthStack());
  });

  it('records requests in an encrypted on-demand table with point-in-time recovery, and keeps the audit key in Secrets Manager', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'customer_id', KeyType: 'HASH' },
        { AttributeName: 'message_id', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      // The image from before the erase must not outlive the window: 72 h → 1 day of recovery.
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 1 },
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('keeps old object versions and Athena results no longer than the erase window allows', () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket')).map((b) =>
      JSON.stringify(b.Properties),
    );
    const lake = buckets.find((b) => b.includes('lake-tiering'))!;
    expect(JSON.parse(lake).LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toEqual({
      NoncurrentDays: 2,
    });
    const results = buckets.find((b) => b.includes('query-results/'))!;
    expect(JSON.parse(results).LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(2);
  });

  it('runs hourly, one at a time, never beside a compaction, a pass per due customer, several at once', async () => {
    const { StartAt, States, QueryLanguage } = definition(template);
    expect(QueryLanguage).toBe('JSONata');
    expect(StartAt).toBe('Start');
    // The lease it shares with the compaction (test/lib/job-lease.test.ts runs it): taken first; while
    // it is held, tried again every 5 minutes, 10 times, then the hour's run ends.
    expect(States.Start!.Next).toBe('TakeLease');
    expect(States.TakeLease!.Next).toBe('PlanRun');
    expect(States.TakeLease!.Catch![0]!.Next).toBe('LeaseBusy');
    expect(await evaluate(States.LeaseBusy!.Assign!.polls, {}, { polls: 3 })).toBe(4);
    expect(States.LeaseBusy!.Next).toBe('TryAgain?');
    const tryAgain = States['TryAgain?']!;
    const next = async (polls: number) => {
      for (const c of tryAgain.Choices!) if (await evaluate(c.Condition, {}, { polls })) return c.Next;
      return tryAgain.Default;
    };
    expect(await next(1)).toBe('WaitForLease');
    expect(await next(10)).toBe('LeaseBusyThisHour');
    expect(States.WaitForLease!.Next).toBe('TakeLease');
    // The run's plan: every due customer (up to CUSTOMERS_PER_RUN), as the items of a Distributed Map.
    expect(
      await evaluateAll(States.PlanRun!.Arguments!.Payload, { context: { Execution: { Name: 'run-7' } } }),
    ).toEqual({ step: 'planRun', runId: 'run-7' });
    const due = States['AnyCustomerDue?']!;
    expect(await evaluate(due.Choices![0]!.Condition, { input: { customers: 0 } })).toBe(true);
    expect(await evaluate(due.Choices![0]!.Condition, { input: { customers: 3 } })).toBe(false);
    expect(due.Choices![0]!.Next).toBe('PlanIdentityErase');
    expect(due.Default).toBe('ErasePasses');
    const passes = States.ErasePasses!;
    expect(passes).toMatchObject({ Type: 'Map', MaxConcurrency: ERASE_CONCURRENCY });
    // Its passes' rewrites at once, from the template: never more erase steps than ERASE_STEPS_CONCURRENCY.
    const rewrites = passes.ItemProcessor!.States.ErasePass!.Branches![0]!.States.RewriteObjects!;
    expect(Number(passes.MaxConcurrency) * Number(rewrites.MaxConcurrency)).toBeLessThanOrEqual(
      ERASE_STEPS_CONCURRENCY,
    );
    // Then, still under the lease, the identity facts of every finished pass in one statement (passes
    // run ten at a time; MERGEs into the same Iceberg files at once fail), their files rewritten, the
    // passes' ids removed; then the lease given up.
    expect(passes.Next).toBe('PlanIdentityErase');
    const anyIds = States['AnyIdentitiesToErase?']!;
    expect(await evaluate(anyIds.Choices![0]!.Condition, { input: { passes: [{ customerId: 'a' }] } })).toBe(
      true,
    );
    expect(await evaluate(anyIds.Choices![0]!.Condition, { input: { passes: [] } })).toBe(false);
    const erasing: string[] = [];
    for (let at: string | undefined = anyIds.Choices![0]!.Next; at; at = States[at]!.Next) erasing.push(at);
    expect(erasing).toEqual([
      'RenewBeforeDeleteIdentities',
      'DeleteIdentities',
      'RenewBeforeRewriteIdentities',
      'RewriteIdentities',
      'RemoveErasedIds',
      'IdentitiesErased',
      'ReleaseLease',
      'AnythingErased?',
    ]);
    expect(anyIds.Default).toBe('IdentitiesErased');
    expect(
      await evaluate(States.DeleteIdentities!.Arguments!.QueryString, { input: { deleteSql: 'MERGE …' } }),
    ).toBe('MERGE …');
    // Each child holds the run's name and fence (a distributed Map's items see no variable of the run).
    const child = passes.ItemProcessor!.States;
    expect(passes.ItemSelector).toMatchObject({
      holder: '{% $states.context.Execution.Name %}',
      fence: '{% $fence %}',
    });
    expect(child.HoldLease!.Assign).toEqual({
      holder: '{% $states.input.holder %}',
      fence: '{% $states.input.fence %}',
      customerId: '{% $states.input.customerId %}',
    });
    // What the children answered decides the run's end: any erased → the VACUUM later; any failed → named.
    const results = [
      { customerId: 'acme', erased: true },
      { customerId: 'globex', failed: true },
    ];
    expect(await evaluate(passes.Assign!.erasedAny, { result: results })).toBe(true);
    expect(await evaluate(passes.Assign!.failedCustomers, { result: results })).toEqual(['globex']);
    expect(await evaluate(passes.Assign!.failedCustomers, { result: [results[0]] })).toEqual([]);
    // The run then ends failed, naming them in its cause (the ErasureFailed alarm).
    expect(await evaluate(States.SomeCustomersFailed!.Cause, {}, { failedCustomers: ['globex', 'x'] })).toBe(
      'erase passes failed for: globex, x',
    );
    expect(await evaluate(child.CustomerFailed!.Output, {}, { customerId: 'globex' })).toEqual({
      customerId: 'globex',
      failed: true,
    });
    // A pass, in order: link, prepare, rewrite the objects, count, delete, rewrite the table's files,
    // verify both, finish; a failure is the customer's alone: the other passes go on.
    const pass = child.ErasePass!;
    const branch = pass.Branches![0]!;
    const order: string[] = [];
    for (let at: string | undefined = branch.StartAt; at; at = branch.States[at]!.Next) order.push(at);
    // Each step but the last renews the lease first (fencing: a pass whose lease was taken stops there).
    expect(order).toEqual([
      'RenewBeforeLink',
      'LinkIds',
      'RenewBeforePrepare',
      'PreparePass',
      'RenewBeforeFindObjects',
      'FindObjects',
      'RenewBeforePlanObjects',
      'PlanObjects',
      'RenewBeforeRewrite',
      'RewriteObjects',
      'RenewBeforeCount',
      'CountCurated',
      'RenewBeforeDelete',
      'DeleteCurated',
      'RenewBeforeRewriteFiles',
      'RewriteCurated',
      'RenewBeforeVerify',
      'VerifyCurated',
      'RenewBeforeVerifyLanding',
      'VerifyLanding',
      'FinishPass',
    ]);
    expect(pass.Catch![0]!.Next).toBe('CustomerFailed');
    expect(pass.Next).toBe('CustomerErased');
    const map = branch.States.RewriteObjects!;
    expect(map).toMatchObject({
      Type: 'Map',
      MaxConcurrency: REWRITE_CONCURRENCY,
      ItemReader: { ReaderConfig: { InputType: 'JSON' } },
    });
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
  });

  it('carries each query id to the finish step, and sends the statements the steps built', async () => {
    const { States } = definition(template);
    const branch = States.ErasePasses!.ItemProcessor!.States.ErasePass!.Branches![0]!.States;
    const input = { customerId: 'acme', passId: 'p1', countCuratedSql: 'SELECT 1', x: 1 };
    const result = { QueryExecution: { QueryExecutionId: 'q-1' } };
    expect(await evaluate(branch.CountCurated!.Output, { input, result })).toEqual({
      ...input,
      curatedBefore: 'q-1',
    });
    expect(await evaluate(branch.VerifyCurated!.Output, { input, result })).toEqual({
      ...input,
      curatedAfter: 'q-1',
    });
    expect(await evaluate(branch.VerifyLanding!.Output, { input, result })).toEqual({
      ...input,
      landingAfter: 'q-1',
    });
    expect(
      await evaluate(branch.DeleteCurated!.Arguments!.QueryString, {
        input: { deleteCuratedSql: 'DELETE …' },
      }),
    ).toBe('DELETE …');
    // The objects query's id travels to PlanObjects; the identity statements are the prepared ones.
    expect(await evaluate(branch.FindObjects!.Output, { input, result })).toEqual({
      ...input,
      objectsQueryId: 'q-1',
    });
    for (const [state, field] of [['FindObjects', 'objectsSql']] as const)
      expect(
        await evaluate(branch[state]!.Arguments!.QueryString, { input: { [field]: `${state} …` } }),
      ).toBe(`${state} …`);
    expect(
      await evaluateAll(branch.FinishPass!.Arguments!.Payload, {
        input: { customerId: 'acme', passId: 'p1', curatedBefore: 'a', curatedAfter: 'b', landingAfter: 'c' },
      }),
    ).toEqual({
      step: 'finish',
      customerId: 'acme',
      passId: 'p1',
      curatedBefore: 'a',
      curatedAfter: 'b',
      landingAfter: 'c',
    });
    // After the last customer: the snapshot retention set, then the VACUUM started in a state machine of
    // its own (a wait past the retention, then VACUUM), which this run does not wait for.
    const db = stack.catalog.databaseName;
    expect(await evaluate(States.SnapshotRetention!.Arguments!.QueryString, {})).toBe(
      athenaSnapshotRetention(db),
    );
    expect(States.SnapshotRetention!.Next).toBe('StartVacuumLater');
    expect(States.StartVacuumLater!.Resource).toMatch(/:states:::states:startExecution$/);
    expect(States.WaitForSnapshotAge).toBeUndefined();
    const later = definition(template, 'erasure-vacuum').States;
    expect(later.WaitForSnapshotAge!.Seconds).toBeGreaterThan(SNAPSHOT_AGE_SECONDS);
    expect(later.WaitForSnapshotAge!.Next).toBe('Vacuum');
    // Then the old versions of the files VACUUM removed, until none is left (bounded per invocation).
    // The identity facts' old snapshots too (the pass deleted the users' facts: identity-sql.ts).
    expect(later.Vacuum!.Next).toBe('VacuumIdentityFacts');
    expect(later.VacuumIdentityFacts!.Next).toBe('RemoveOldCuratedVersions');
    expect(await evaluateAll(later.RemoveOldCuratedVersions!.Arguments!.Payload, {})).toEqual({
      step: 'purgeCurated',
    });
    expect(later.RemoveOldCuratedVersions!.Next).toBe('MoreOldVersions?');
    const more = later['MoreOldVersions?']!;
    expect(await evaluate(more.Choices![0]!.Condition, { input: { removed: 1000, more: true } })).toBe(true);
    expect(more.Choices![0]!.Next).toBe('RemoveOldCuratedVersions');
    expect(await evaluate(more.Choices![0]!.Condition, { input: { removed: 3, more: false } })).toBe(false);
    expect(await evaluate(later.Vacuum!.Arguments!.QueryString, {})).toBe(athenaVacuum(db));
    const anything = States['AnythingErased?']!;
    expect(await evaluate(anything.Choices![0]!.Condition, {}, { erasedAny: true })).toBe(true);
    expect(await evaluate(anything.Choices![0]!.Condition, {}, { erasedAny: false })).toBe(false);
  });

  it('gives ingest the table and key names, and shares the lease with the compaction', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Segment destination: validates, normalizes and stores events',
      Environment: {
        Variables: Match.objectLike({
          ERASURE_TABLE: { Ref: Match.stringLikeRegexp('^ErasureRequests') },
          AUDIT_KEY_SECRET: { Ref: Match.stringLikeRegexp('^ErasureAuditKey') },
          // The delete-request cache is sized by the customers the stack serves (150 by default).
          MAX_CUSTOMERS: '150',
        }),
      },
    });
    const [compaction] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).filter(
      (m) => JSON.stringify(m.Properties.StateMachineName ?? '').includes('curated-compaction'),
    );
    const [erasure] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).filter((m) =>
      JSON.stringify(m.Properties.StateMachineName ?? '').includes('user-erasure'),
    );
    for (const machine of [compaction, erasure])
      expect(JSON.stringify(machine)).toContain('"TableName\\":\\"",{"Ref":"JobLeaseTable');
    // The two hourly jobs start half an hour apart (HOURLY_START_MINUTE).
    const expressions = Object.values(template.findResources('AWS::Scheduler::Schedule'))
      .map((r) => r.Properties.ScheduleExpression as string)
      .filter((e) => e.startsWith('cron(') && e.includes('* * * ?'));
    expect(expressions.sort()).toEqual(['cron(35 * * * ? *)', 'cron(5 * * * ? *)']);
  });
});
