import type { Template } from 'aws-cdk-lib/assertions';
import { AWS_QUOTAS } from '../../../domain/contract/aws-quotas';
import { ATHENA_RULES } from '../../../domain/contract/sql/athena-rules';
import { PURGE_PAGES } from '../../../lambdas/erasure/erase-steps';
import { synthStack } from '../../support/stack';

/**
 * Step Functions keeps at most 25,000 events in one execution's history
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); past it the execution
 * fails. Each scheduled job's worst case, read from the synthesized definitions: every state counted
 * with the events it can write (a task's retries included), loops only where they are bounded on
 * purpose, and a Distributed Map's items in child executions of their own — so a run's history does
 * not grow with its items, customers or objects.
 */
const HISTORY_LIMIT = AWS_QUOTAS.stepFunctionsHistoryEvents;

type State = {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Retry?: { MaxAttempts?: number }[];
  Resource?: string;
  Branches?: Machine[];
  ItemProcessor?: Machine & { ProcessorConfig?: { Mode?: string } };
};
type Machine = { StartAt: string; States: Record<string, State> };

function machines(template: Template): Record<string, Machine> {
  const out: Record<string, Machine> = {};
  for (const m of Object.values(template.findResources('AWS::StepFunctions::StateMachine'))) {
    const body = m.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
    const text =
      typeof body === 'string'
        ? body
        : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'X')).join('');
    out[String(m.Properties.StateMachineName ?? '')] = JSON.parse(text);
  }
  return out;
}

const next = (s: State) => [
  ...(s.Next ? [s.Next] : []),
  ...(s.Default ? [s.Default] : []),
  ...(s.Choices ?? []).map((c) => c.Next),
  ...(s.Catch ?? []).map((c) => c.Next),
];

/** The states that sit on a cycle of the machine's own graph (not inside branches or maps). */
function statesOnCycles(machine: Machine): Set<string> {
  const onCycle = new Set<string>();
  for (const start of Object.keys(machine.States)) {
    const seen = new Set<string>();
    const stack = [...next(machine.States[start]!)];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (at === start) onCycle.add(start);
      if (seen.has(at)) continue;
      seen.add(at);
      stack.push(...next(machine.States[at] ?? ({ Type: 'Succeed' } as State)));
    }
  }
  return onCycle;
}

/**
 * The most events one pass through a state writes: a task's entered, scheduled, started, submitted,
 * succeeded and exited, plus three for each retry; a Parallel its branches; an inline Map each of its
 * `iterations` items; a distributed Map a constant (its items are child executions).
 */
function eventsOf(state: State, iterations: (s: State) => number): number {
  switch (state.Type) {
    case 'Task': {
      const retries = Math.max(0, ...(state.Retry ?? []).map((r) => r.MaxAttempts ?? 3));
      return 6 + 3 * retries;
    }
    case 'Parallel':
      return 4 + (state.Branches ?? []).reduce((sum, b) => sum + historyOf(b, iterations), 0);
    case 'Map':
      if (state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED') return 8;
      return 4 + iterations(state) * (2 + historyOf(state.ItemProcessor!, iterations));
    default:
      return 2;
  }
}

/** The events of one execution of `machine`: each state once; a state on a cycle as often as `loops` allows. */
function historyOf(
  machine: Machine,
  iterations: (s: State) => number,
  loops: Record<string, number> = {},
): number {
  const cycles = statesOnCycles(machine);
  let events = 2; // ExecutionStarted, ExecutionSucceeded
  for (const [name, state] of Object.entries(machine.States)) {
    if (cycles.has(name) && loops[name] === undefined)
      throw new Error(`${name} is on a cycle with no bound: the history could grow without end`);
    events += eventsOf(state, iterations) * (cycles.has(name) ? loops[name]! : 1);
  }
  return events;
}

describe('every scheduled job stays under Step Functions’ 25,000 history events per execution', () => {
  const all = machines(synthStack().template);
  const named = (part: string) => {
    const found = Object.entries(all).find(([name]) => name.includes(part));
    if (!found) throw new Error(`no state machine ${part}`);
    return found[1];
  };
  // An inline Map, were one added, is counted with as many iterations as an item has customers at most.
  const customersPerItem = ATHENA_RULES.partitionsPerStatement.limit;
  const iterations = () => customersPerItem;

  it('the compaction: no loop; its items, and each item’s customers alone, in child executions', () => {
    const run = named('curated-compaction');
    expect(historyOf(run, iterations)).toBeLessThan(1_000);
    const item = run.States.MergeEachItem!.ItemProcessor!;
    expect(historyOf(item, iterations)).toBeLessThan(1_000);
    const alone = item.States.EachCustomerAlone!.ItemProcessor!;
    expect(historyOf(alone, iterations)).toBeLessThan(1_000);
  });

  it('the erase pass: its lease retries bounded, its passes and their rewrites in child executions', () => {
    const run = named('user-erasure');
    // The lease is tried 10 times; every state of that loop counts 10 times.
    const loops = { TakeLease: 10, LeaseBusy: 10, 'TryAgain?': 10, WaitForLease: 10 };
    expect(historyOf(run, iterations, loops)).toBeLessThan(1_000);
    const pass = run.States.ErasePasses!.ItemProcessor!;
    expect(historyOf(pass, iterations)).toBeLessThan(2_000);
  });

  it('the VACUUM later: its purge loop bounded by the versions it may find (100 M), PURGE_PAGES × 1,000 a turn', () => {
    const turns = Math.ceil(100_000_000 / (PURGE_PAGES * 1_000));
    const loops = { RemoveOldCuratedVersions: turns, 'MoreOldVersions?': turns };
    expect(historyOf(named('erasure-vacuum'), iterations, loops)).toBeLessThan(HISTORY_LIMIT);
  });

  it('finds an unbounded cycle when there is one (the check cannot pass by missing it)', () => {
    const looping: Machine = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Next: 'B' },
        B: { Type: 'Choice', Choices: [{ Next: 'A' }], Default: 'C' },
        C: { Type: 'Succeed' },
      },
    };
    expect(() => historyOf(looping, iterations)).toThrow(/A is on a cycle with no bound/);
  });
});
