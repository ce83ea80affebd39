import { CreateTableCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import { LEASE_SECONDS } from '../../lib/job-lease';
import { type Emulator, emulatorClientConfig, startDynalite } from '../support/emulators';
import { synthStack } from '../support/stack';

/**
 * The lease the compaction and the erase pass share (lib/job-lease.ts), run as Step Functions would run
 * it: each lease state's Arguments are taken from the synthesized definitions, their JSONata evaluated
 * for a given execution, fence and clock, and sent as UpdateItem to dynalite — DynamoDB's own
 * conditional-write rules, not ours.
 */
type State = { Resource?: string; Arguments?: Record<string, unknown>; Assign?: Record<string, string> };

function states(template: Template, name: string): Record<string, State> {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).filter((m) =>
    JSON.stringify(m.Properties.StateMachineName ?? '').includes(name),
  );
  const body = machine!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const definition = JSON.parse(
    body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''),
  ) as { States: Record<string, State & { Branches?: { States: Record<string, State> }[] }> };
  // The pass's renewals live in its Parallel branch; the items' in the Map's processor.
  const all: Record<string, State> = {};
  const walk = (
    s: Record<
      string,
      State & {
        Branches?: { States: Record<string, State> }[];
        ItemProcessor?: { States: Record<string, State> };
      }
    >,
  ) => {
    for (const [id, state] of Object.entries(s)) {
      all[id] = state;
      for (const b of state.Branches ?? []) walk(b.States);
      if (state.ItemProcessor) walk(state.ItemProcessor.States);
    }
  };
  walk(definition.States);
  return all;
}

/** Evaluates every `{% … %}` of a state's Arguments for one execution, at one time. */
async function argumentsOf(
  state: State,
  run: { name: string; fence?: string; nowSeconds: number; input?: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  const evaluate = async (value: unknown): Promise<unknown> => {
    if (typeof value === 'string') {
      const body = /^\{%(.*)%\}$/s.exec(value)?.[1];
      if (body === undefined) return value;
      return jsonata(body).evaluate(
        {},
        {
          states: { input: run.input ?? {}, context: { Execution: { Name: run.name } } },
          fence: run.fence,
          // A pass's child execution holds the run's name in `$holder`; a MERGE item's child, its item.
          holder: run.name,
          item: run.input,
          millis: () => run.nowSeconds * 1000,
        },
      );
    }
    if (Array.isArray(value)) return Promise.all(value.map(evaluate));
    if (value && typeof value === 'object')
      return Object.fromEntries(
        await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await evaluate(v)] as const)),
      );
    return value;
  };
  return (await evaluate(state.Arguments)) as Record<string, unknown>;
}

describe('the jobs’ lease, its conditional writes run against DynamoDB’s rules (dynalite)', () => {
  let dynamo: Emulator;
  let client: DynamoDBClient;
  let compaction: Record<string, State>;
  let erasure: Record<string, State>;
  let table = 0;
  beforeAll(async () => {
    dynamo = await startDynalite();
    client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
    const { template } = synthStack();
    compaction = states(template, 'curated-compaction');
    erasure = states(template, 'user-erasure');
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.close();
  });

  /** A fresh lease table per test; each call runs one lease state and answers its fence or the error. */
  async function leaseTable() {
    const TableName = `lease-${++table}`;
    await client.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: 'lease', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'lease', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return async (
      state: State,
      run: { name: string; fence?: string; nowSeconds: number; input?: Record<string, unknown> },
    ): Promise<string> => {
      expect(state.Resource).toMatch(/:states:::dynamodb:updateItem$/);
      const args = await argumentsOf(state, run);
      try {
        const result = await client.send(new UpdateItemCommand({ ...args, TableName } as never));
        // As the take's Assign reads it: the fence the holder carries on.
        return state.Assign?.fence ? String(result.Attributes?.fence?.N) : 'ok';
      } catch (error) {
        return `DynamoDB.${(error as Error).name}`;
      }
    };
  }

  const T0 = 1_800_000_000;

  it('one holder at a time: the erase pass cannot take what a compaction run holds, and takes it once released', async () => {
    const run = await leaseTable();
    expect(await run(compaction.TakeLease!, { name: 'compaction-1', nowSeconds: T0 })).toBe('1');
    expect(await run(erasure.TakeLease!, { name: 'erase-1', nowSeconds: T0 + 60 })).toBe(
      'DynamoDB.ConditionalCheckFailedException',
    );
    // A second compaction run, too: one run at a time.
    expect(await run(compaction.TakeLease!, { name: 'compaction-2', nowSeconds: T0 + 60 })).toBe(
      'DynamoDB.ConditionalCheckFailedException',
    );
    expect(
      await run(compaction.RenewBeforeStage!, { name: 'compaction-1', fence: '1', nowSeconds: T0 + 120 }),
    ).toBe('ok');
    expect(
      await run(compaction.ReleaseLease!, { name: 'compaction-1', fence: '1', nowSeconds: T0 + 600 }),
    ).toBe('ok');
    expect(await run(erasure.TakeLease!, { name: 'erase-1', nowSeconds: T0 + 660 })).toBe('2');
  });

  it('a holder that stopped renewing loses the lease at expiry, and its late commits are fenced off', async () => {
    const run = await leaseTable();
    expect(await run(erasure.TakeLease!, { name: 'erase-1', nowSeconds: T0 })).toBe('1');
    // Within the lease: still refused.
    expect(
      await run(compaction.TakeLease!, { name: 'compaction-1', nowSeconds: T0 + LEASE_SECONDS - 1 }),
    ).toBe('DynamoDB.ConditionalCheckFailedException');
    // Past it (the erase execution died, or hung): taken, with a new fence.
    expect(
      await run(compaction.TakeLease!, { name: 'compaction-1', nowSeconds: T0 + LEASE_SECONDS + 1 }),
    ).toBe('2');
    // The old holder wakes up: its renewal before the DELETE fails, so it commits nothing more.
    expect(
      await run(erasure.RenewBeforeDelete!, {
        name: 'erase-1',
        fence: '1',
        nowSeconds: T0 + LEASE_SECONDS + 2,
      }),
    ).toBe('DynamoDB.ConditionalCheckFailedException');
    // Nor can it release what is no longer its own.
    expect(
      await run(erasure.ReleaseLease!, { name: 'erase-1', fence: '1', nowSeconds: T0 + LEASE_SECONDS + 3 }),
    ).toBe('DynamoDB.ConditionalCheckFailedException');
    // The new holder's items renew with the holder and fence they carry.
    const item = { holder: 'compaction-1', fence: '2' };
    expect(
      await run(compaction.RenewBeforeMerge!, {
        name: 'child',
        input: item,
        nowSeconds: T0 + LEASE_SECONDS + 4,
      }),
    ).toBe('ok');
    expect(
      await run(compaction.RenewBeforeMerge!, {
        name: 'child',
        input: { holder: 'compaction-1', fence: '1' },
        nowSeconds: T0 + LEASE_SECONDS + 5,
      }),
    ).toBe('DynamoDB.ConditionalCheckFailedException');
  });

  it('a renewal moves the expiry: a holder that renews before each step keeps the lease past LEASE_SECONDS', async () => {
    const run = await leaseTable();
    expect(await run(compaction.TakeLease!, { name: 'compaction-1', nowSeconds: T0 })).toBe('1');
    expect(
      await run(compaction.RenewBeforePack!, {
        name: 'compaction-1',
        fence: '1',
        nowSeconds: T0 + LEASE_SECONDS - 10,
      }),
    ).toBe('ok');
    expect(await run(erasure.TakeLease!, { name: 'erase-1', nowSeconds: T0 + LEASE_SECONDS + 10 })).toBe(
      'DynamoDB.ConditionalCheckFailedException',
    );
  });
});
