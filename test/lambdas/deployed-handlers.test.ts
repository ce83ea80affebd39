import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { authorizerEvent as apiAuthorizerEvent, localRequest } from '../../adapters/aws/api-gateway-events';
import { DynamoTokenStore } from '../../adapters/aws/dynamo-token-store';
import { setTrackingPlan } from '../../domain/core/keys/plan-admin';
import { createToken } from '../../domain/core/keys/token-admin';
import type { AuthorizerHandler } from '../../lambdas/authorizer/create-authorizer-handler';
import type { IngestHandler } from '../../lambdas/ingest/create-ingest-handler';
import { mockAws } from '../support/aws-mocks';
import {
  createTokenTable,
  type Emulator,
  emulatorClientConfig,
  kinesaliteClient,
  readStreamLines,
  startDynalite,
  startKinesalite,
} from '../support/emulators';
import { createIngestEvent, createTrackMessage, lambdaContext, TEST_NOW } from '../support/factories';
import { basicAuth, ROOT } from '../support/local-destination';

const savedEnv = { ...process.env };

/**
 * Loads a handler module fresh, as a cold start does, with the given environment (kept until the
 * suite ends: the SDK reads its settings at the first call). `prepare` runs inside the same module
 * registry, e.g. to mock the client class the handler will construct.
 */
function coldStart<T>(path: string, env: Record<string, string>, prepare: () => void = () => undefined): T {
  process.env = { ...savedEnv, ...env };
  let loaded: T | undefined;
  jest.isolateModules(() => {
    prepare();
    loaded = require(path).handler;
  });
  return loaded as T;
}

function authorizerEvent(authorization: string): APIGatewayRequestAuthorizerEventV2 {
  return apiAuthorizerEvent(
    localRequest({ path: '/v1/batch', headers: { authorization, 'content-type': 'application/json' } }),
    'req-1',
    TEST_NOW,
  );
}

describe('the Lambda handlers, composed exactly as deployed', () => {
  let dynamo: Emulator;
  let kinesis: Emulator;
  let baseEnv: Record<string, string>;
  beforeAll(async () => {
    [dynamo, kinesis] = await Promise.all([startDynalite(), startKinesalite()]);
    await createTokenTable(new DynamoDBClient(emulatorClientConfig(dynamo.endpoint)), 'tokens');
    await kinesaliteClient(kinesis.endpoint).send(
      new CreateStreamCommand({ StreamName: 'events', ShardCount: 1 }),
    );
    baseEnv = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
    };
  });
  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([dynamo.close(), kinesis.close()]);
  });

  it('authorizes with DynamoDB and lands the batch in the Kinesis stream', async () => {
    const { token } = await createToken(
      new DynamoTokenStore(new DynamoDBClient(emulatorClientConfig(dynamo.endpoint)), 'tokens'),
      'acme',
      TEST_NOW,
    );
    const authorizer = coldStart<AuthorizerHandler>('../../lambdas/authorizer/handler', {
      ...baseEnv,
      TOKENS_TABLE: 'tokens',
    });
    const ingest = coldStart<IngestHandler>('../../lambdas/ingest/handler', {
      ...baseEnv,
      DELIVERY: 'stream',
      STREAM_NAME: 'events',
    });
    const batch = [
      createTrackMessage({ messageId: 'deployed-1' }),
      createTrackMessage({ messageId: 'deployed-2', event: 'sign_up' }),
    ];

    const verdict = await authorizer(authorizerEvent(basicAuth(token)), lambdaContext);
    const answer = await ingest(
      createIngestEvent({ body: JSON.stringify({ batch }), authorizer: verdict.context }),
      lambdaContext,
    );

    expect(verdict.context).toMatchObject({ customerId: 'acme' });
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(answer.body)).toMatchObject({ accepted: 2 });
    // Its own messages: another test of this file may have put records in the same stream before.
    const landed = (await readStreamLines(kinesaliteClient(kinesis.endpoint), 'events'))
      .flat()
      .filter((line) => 'message_id' in line && String(line.message_id).startsWith('deployed-'));
    expect(landed.map((e) => [e.message_id, e.customer_id, e.event])).toEqual([
      ['deployed-1', 'acme', 'Signed Up'],
      ['deployed-2', 'acme', 'Signed Up'],
    ]);
  });

  it('applies a tracking plan stored in DynamoDB: flagged in the record, or quarantined', async () => {
    const store = new DynamoTokenStore(new DynamoDBClient(emulatorClientConfig(dynamo.endpoint)), 'tokens');
    const { token } = await createToken(store, 'planned', TEST_NOW);
    const plan = JSON.parse(
      readFileSync(join(ROOT, 'test', 'fixtures', 'plans', 'signup-plan.json'), 'utf8'),
    );
    const authorizer = coldStart<AuthorizerHandler>('../../lambdas/authorizer/handler', {
      ...baseEnv,
      TOKENS_TABLE: 'tokens',
    });
    const ingest = coldStart<IngestHandler>('../../lambdas/ingest/handler', {
      ...baseEnv,
      DELIVERY: 'stream',
      STREAM_NAME: 'events',
    });
    const header = basicAuth(token);
    const send = async (messages: unknown[]) => {
      const verdict = await authorizer(authorizerEvent(header), lambdaContext);
      return ingest(
        createIngestEvent({ body: JSON.stringify({ batch: messages }), authorizer: verdict.context }),
        lambdaContext,
      );
    };
    const batch = (tag: string) => [
      createTrackMessage({ messageId: `${tag}-valid`, event: 'signup', properties: { plan: 'pro' } }),
      createTrackMessage({ messageId: `${tag}-invalid`, event: 'Signed Up', properties: { plan: 'gold' } }),
      createTrackMessage({ messageId: `${tag}-unplanned`, event: 'Report Exported' }),
    ];

    await setTrackingPlan(store, 'planned', plan, TEST_NOW);
    const flagged = await send(batch('flag'));
    await setTrackingPlan(store, 'planned', { ...plan, mode: 'quarantine', allowUnplanned: false }, TEST_NOW);
    const quarantined = await send(batch('quarantine'));

    expect(flagged.statusCode).toBe(200);
    expect(JSON.parse(quarantined.body)).toMatchObject({ accepted: 1, quarantined: 2 });
    const lines = (await readStreamLines(kinesaliteClient(kinesis.endpoint), 'events'))
      .flat()
      .filter((line) => line.customer_id === 'planned' && 'message_id' in line);
    const byId = new Map(lines.map((l) => [l.message_id, l]));
    expect(byId.get('flag-valid')).toMatchObject({ area: 'events', planned: true, violations: [] });
    expect(byId.get('flag-invalid')).toMatchObject({
      area: 'events',
      planned: true,
      violations: [{ path: 'properties.plan', rule: 'enum' }],
    });
    expect(byId.get('flag-unplanned')).toMatchObject({ area: 'events', planned: false, violations: [] });
    expect(byId.get('quarantine-valid')).toMatchObject({ area: 'events', planned: true });
    expect(byId.get('quarantine-invalid')).toMatchObject({
      area: 'quarantine',
      reason: { code: 'plan_violation' },
    });
    expect(byId.get('quarantine-unplanned')).toMatchObject({
      area: 'quarantine',
      violations: [{ path: 'event', rule: 'unplanned' }],
    });
  });

  it('puts straight into Firehose when deployed with DELIVERY=direct', async () => {
    let firehose: ReturnType<typeof mockAws> | undefined;
    const ingest = coldStart<IngestHandler>(
      '../../lambdas/ingest/handler',
      { ...baseEnv, DELIVERY: 'direct', DELIVERY_STREAM_NAME: 'lake' },
      () => {
        const sdk: typeof import('@aws-sdk/client-firehose') = require('@aws-sdk/client-firehose');
        firehose = mockAws(sdk.FirehoseClient);
        firehose.on(sdk.PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
          FailedPutCount: 0,
          RequestResponses: input.Records.map(() => ({ RecordId: 'r' })),
        }));
      },
    );

    const answer = await ingest(
      createIngestEvent({ body: JSON.stringify(createTrackMessage()) }),
      lambdaContext,
    );

    expect(answer.statusCode).toBe(200);
    expect((firehose!.calls()[0]!.args[0].input as { DeliveryStreamName: string }).DeliveryStreamName).toBe(
      'lake',
    );
  });

  it('fails at cold start with the name of a missing setting', () => {
    expect(() => coldStart('../../lambdas/ingest/handler', { ...baseEnv, DELIVERY: 'stream' })).toThrow(
      /STREAM_NAME/,
    );
    expect(() => coldStart('../../lambdas/authorizer/handler', baseEnv)).toThrow(/TOKENS_TABLE/);
  });
});
