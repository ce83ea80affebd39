import type { ObjectLog, RunFiles } from '../../../domain/core/lake/compaction-run';
import { createCompactionHandler } from '../../../lambdas/compaction/create-compaction-handler';

describe('the compaction steps function', () => {
  const log: ObjectLog = {
    receive: async () => [],
    remove: async () => undefined,
  };
  const files: RunFiles = {
    put: async () => undefined,
    get: async () => '[]',
    removePrefix: async () => undefined,
    list: async () => [],
    queryResult: async () => '"customer_id","event_date","row_count"\n',
  };
  const handler = createCompactionHandler({
    log,
    files,
    lakeBucket: 'lake',
    database: 'db',
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: { now: () => Date.parse('2026-11-28T10:05:00.000Z') },
  });

  it('stages nothing when the log is empty, and plans no statement', async () => {
    expect(await handler({ step: 'stage', runId: 'run-1' })).toEqual({
      runId: 'run-1',
      objects: 0,
      customers: [],
      backlogBatches: 0,
      planSql: undefined,
    });
  });

  it('merges identity facts: the whole table once, a run’s own after its items, a failed run’s by a later one', async () => {
    const stored = new Map<string, string>();
    const steps = createCompactionHandler({
      log,
      files: {
        ...files,
        put: async (key, body) => {
          stored.set(key, body);
        },
        get: async (key) => {
          const body = stored.get(key);
          if (body === undefined) throw new Error(`no ${key}`);
          return body;
        },
        removePrefix: async (prefix) => {
          for (const key of [...stored.keys()]) if (key.startsWith(prefix)) stored.delete(key);
        },
        list: async (prefix) => [...stored.keys()].filter((k) => k.startsWith(prefix)),
      },
      lakeBucket: 'lake',
      database: 'db',
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      clock: { now: () => Date.parse('2026-11-28T10:05:00.000Z') },
    });
    type Due = { due: boolean; whole?: boolean; sql?: string; pendingKeys?: string[] };
    // A lake from before the facts table: its whole curated table, once.
    const first = (await steps({ step: 'identityFactsDue' })) as Due;
    expect(first).toMatchObject({ due: true, whole: true, pendingKeys: [] });
    expect(first.sql).toMatch(/^MERGE INTO "db"\."identity_facts" /);
    expect(first.sql).toContain('FROM "db"."events_curated") AS rows_in');
    await steps({ step: 'markIdentityFacts', runId: 'run-1', whole: true, pendingKeys: [] });
    expect(await steps({ step: 'identityFactsDue' })).toEqual({ due: false });

    // A run with a live customer and a backlog item: one statement, its scope pending until cleared.
    stored.set(
      'curated/_staging/run_id=run-2/_live.json',
      JSON.stringify({ customers: ['acme'], since: '2026-11-27' }),
    );
    stored.set(
      'curated/_staging/run_id=run-2/done/0.json',
      JSON.stringify({ customerId: 'replay', days: ['2021-03-02', '2021-01-01'], batches: ['b'] }),
    );
    const run = (await steps({ step: 'planRunIdentities', runId: 'run-2' })) as {
      sql: string;
      pendingKey: string;
    };
    expect(run.pendingKey).toBe('curated/_staging/_identity/pending/run-2.json');
    expect(run.sql).toContain(`"compaction_staging" AS l`);
    expect(run.sql).toContain(
      "(customer_id = 'replay' AND event_date BETWEEN DATE '2021-01-01' AND DATE '2021-03-02')",
    );
    // Its statement failed: the next run merges the same scope from the curated table.
    const later = (await steps({ step: 'identityFactsDue' })) as Due;
    expect(later).toMatchObject({ due: true, whole: false, pendingKeys: [run.pendingKey] });
    expect(later.sql).toContain("customer_id IN ('acme', 'replay') AND (event_date >= DATE '2026-11-27'");
    expect(later.sql).not.toContain('compaction_staging');
    await steps({ step: 'markIdentityFacts', runId: 'run-3', pendingKeys: later.pendingKeys });
    expect(await steps({ step: 'identityFactsDue' })).toEqual({ due: false });
    // A run that merged nothing has no statement.
    expect(await steps({ step: 'planRunIdentities', runId: 'run-4' })).toEqual({
      sql: null,
      pendingKey: null,
    });
    // Nothing but a pending file is ever removed by the marking step.
    await expect(
      steps({ step: 'markIdentityFacts', runId: 'run-5', pendingKeys: ['curated/events/x.parquet'] }),
    ).rejects.toThrow();
  });

  it('takes only an execution name as the run id, and a query id as the result: nothing else reaches SQL', async () => {
    await expect(handler({ step: 'stage', runId: "x'; DROP TABLE events --" })).rejects.toThrow(/run id/);
    await expect(handler({ step: 'pack', runId: 'run-1', queryExecutionId: '../../etc' })).rejects.toThrow();
    await expect(handler({ step: 'erase', runId: 'run-1' })).rejects.toThrow();
  });
});
