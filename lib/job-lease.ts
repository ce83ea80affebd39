import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';

/** The one lease: the right to rewrite the curated table and the landing objects it is merged from. */
const LAKE_LEASE = 'curated-table';

/**
 * How long a lease lasts unless renewed: longer than the longest step a holder runs between renewals —
 * an Athena DML statement (30 minutes by default: domain/contract/sql/athena-rules.ts, `dmlTimeout`) or a
 * 15-minute Lambda step — so a holder that renews before each such step never loses it mid-step, and one
 * that died frees it within 45 minutes.
 *
 * @internal
 */
export const LEASE_SECONDS = 45 * 60;

/** The condition a renewal and a release check: the lease is still this holder's, at this fence. */
const STILL_MINE = 'holder = :me AND fence = :fence';
const now = '$floor($millis() / 1000)';
const DYNAMO_RETRY = [
  {
    ErrorEquals: [
      'DynamoDB.ProvisionedThroughputExceededException',
      'DynamoDB.ThrottlingException',
      'DynamoDB.InternalServerErrorException',
    ],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 5,
  },
];
/** The error of a conditional write that found the lease held by another (or lost). */
export const LEASE_TAKEN = 'DynamoDB.ConditionalCheckFailedException';

/**
 * The compaction and the erase pass exclude each other with a lease, not by listing executions (Step
 * Functions documents ListExecutions as eventually consistent, so two jobs started together could each
 * see the other not running). One DynamoDB item, written conditionally by the state machines themselves
 * (the `dynamodb:updateItem` integration):
 * - **take**: `holder` := this execution, `expires_at` := now + LEASE_SECONDS, `fence` += 1, on condition
 *   that nobody holds it, or its holder's lease expired, or it is already this execution's;
 * - **renew**, before every step that commits or reads what the other job rewrites: `expires_at` :=
 *   now + LEASE_SECONDS on condition that holder and fence are still this execution's — a holder whose
 *   lease expired and was taken (fence moved on) fails here and commits nothing more (fencing);
 * - **release** at the end: `holder` removed, on the same condition.
 * The item is the lease's only state: nothing to back up.
 */
export class JobLease extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'lease', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'One lease item that lives at most 45 minutes past its last renewal: point-in-time recovery would restore nothing anyone needs.',
    });
  }

  private update(
    scope: Construct,
    id: string,
    update: { expression: string; condition: string; values: Record<string, unknown>; returns?: string },
    extra: Record<string, unknown>,
  ): sfn.CustomState {
    return new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(scope).partition}:states:::dynamodb:updateItem`,
        Arguments: {
          TableName: this.table.tableName,
          Key: { lease: { S: LAKE_LEASE } },
          UpdateExpression: update.expression,
          ConditionExpression: update.condition,
          ExpressionAttributeValues: update.values,
          ...(update.returns ? { ReturnValues: update.returns } : {}),
        },
        Retry: DYNAMO_RETRY,
        ...extra,
      },
    });
  }

  /**
   * Takes the lease for `holder` (JSONata text), assigning `$fence`; the state's output is its input.
   * Fails with LEASE_TAKEN (catch it) while another holds it.
   */
  take(scope: Construct, id: string, holder: string): sfn.CustomState {
    return this.update(
      scope,
      id,
      {
        expression: 'SET holder = :me, expires_at = :until ADD fence :one',
        condition: 'attribute_not_exists(holder) OR expires_at < :now OR holder = :me',
        values: {
          ':me': { S: holder },
          ':now': { N: `{% $string(${now}) %}` },
          ':until': { N: `{% $string(${now} + ${LEASE_SECONDS}) %}` },
          ':one': { N: '1' },
        },
        returns: 'UPDATED_NEW',
      },
      { Assign: { fence: '{% $states.result.Attributes.fence.N %}' }, Output: '{% $states.input %}' },
    );
  }

  /** Renews the lease held by `holder` at `fence` (JSONata texts); fails with LEASE_TAKEN when it was lost. */
  renew(scope: Construct, id: string, holder: string, fence: string): sfn.CustomState {
    return this.update(
      scope,
      id,
      {
        expression: 'SET expires_at = :until',
        condition: STILL_MINE,
        values: {
          ':me': { S: holder },
          ':fence': { N: fence },
          ':until': { N: `{% $string(${now} + ${LEASE_SECONDS}) %}` },
        },
      },
      { Output: '{% $states.input %}' },
    );
  }

  /** Gives the lease up; fails with LEASE_TAKEN if it was lost meanwhile (catch it: nothing to give up). */
  release(scope: Construct, id: string, holder: string, fence: string): sfn.CustomState {
    return this.update(
      scope,
      id,
      {
        expression: 'REMOVE holder, expires_at',
        condition: STILL_MINE,
        values: { ':me': { S: holder }, ':fence': { N: fence } },
      },
      { Output: '{% $states.input %}' },
    );
  }

  /** The one action the state machines need on the lease's table. */
  grant(machine: sfn.StateMachine): void {
    machine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] }),
    );
  }
}
