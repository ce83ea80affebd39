import { spawnSync } from 'node:child_process';
import type { BenchResult } from '../../scripts/bench/bench-report';
import { ROOT } from '../support/local-destination';

// `npm run bench` as the README gives it, every part, at the smallest sizes its flags allow: a part
// that breaks (a function the cold part does not know, a lake the erase part cannot read) fails here,
// not after a long run on someone's machine.
describe('npm run bench, every part, in a short run', () => {
  it('runs each part and reports every deployed function, with no part failing', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        'scripts/bench.ts',
        '--seconds',
        '1',
        '--events',
        '10000',
        '--users',
        '2000',
        '--graph-users',
        '10000',
        '--sim-people',
        '3000',
        '--erase-events',
        '10000',
        '--runs',
        '1',
        '--json',
      ],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
    );
    expect([run.status, run.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
    const result = JSON.parse(run.stdout) as BenchResult;

    expect(result.failed).toEqual([]);
    for (const part of ['core', 'plan', 'server', 'cold', 'lake', 'intent', 'identity', 'erase'] as const)
      expect([part, (result[part] ?? []).length > 0]).toEqual([part, true]);
    // The graph at its smallest: ~10 devices a user, some shared.
    expect(result.identity![0]).toMatchObject({ users: 10_000 });
    expect(result.identity![0]!.anonymousIds).toBeGreaterThan(90_000);
    expect(result.identity![0]!.shared).toBeGreaterThan(0);
    // The graph on the simulator's traffic: every message through the ingest core and the compaction;
    // signed-up people's devices linked, some shared.
    const simulated = result.simulatedIdentity![0]!;
    expect(simulated).toMatchObject({ people: 3_000 });
    expect(simulated.messages).toBeGreaterThan(50_000);
    expect(simulated.users).toBeGreaterThan(100);
    expect(simulated.linkedAnonymousIds).toBeGreaterThan(simulated.users);
    expect(simulated.linkedAnonymousIds).toBeLessThan(simulated.anonymousIds);
    expect(simulated.shared).toBeGreaterThan(0);
    // And intent on it, by person: the planted pricing signal is found.
    expect(simulated.intent.scoredPersons).toBeGreaterThan(100);
    expect(simulated.intent.validationAuc).toBeGreaterThan(0.7);
    // Every function of the synthesized stack, measured or at least loaded.
    expect(result.cold.map((r) => r.function)).toEqual(
      expect.arrayContaining([
        'Ingest/Ingest',
        'Ingest/Authorizer',
        'Erasure/Steps',
        'Curated/Steps',
        'Intent/Score',
      ]),
    );
    expect(result.cold.filter((r) => String(r.status).startsWith('failed'))).toEqual([]);
  }, 600_000);
});
