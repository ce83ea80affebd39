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

  it('backfills the identity facts once: due until a run marks it done, then never again', async () => {
    const stored = new Map<string, string>();
    const marked = createCompactionHandler({
      log,
      files: {
        ...files,
        put: async (key, body) => {
          stored.set(key, body);
        },
        list: async (prefix) => [...stored.keys()].filter((k) => k.startsWith(prefix)),
      },
      lakeBucket: 'lake',
      database: 'db',
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      clock: { now: () => Date.parse('2026-11-28T10:05:00.000Z') },
    });
    expect(await marked({ step: 'identityBackfillDue' })).toEqual({ due: true });
    await marked({ step: 'markIdentityBackfill', runId: 'run-1' });
    expect(await marked({ step: 'identityBackfillDue' })).toEqual({ due: false });
    expect(JSON.parse([...stored.values()][0]!)).toEqual({ runId: 'run-1', at: '2026-11-28T10:05:00.000Z' });
  });

  it('takes only an execution name as the run id, and a query id as the result: nothing else reaches SQL', async () => {
    await expect(handler({ step: 'stage', runId: "x'; DROP TABLE events --" })).rejects.toThrow(/run id/);
    await expect(handler({ step: 'pack', runId: 'run-1', queryExecutionId: '../../etc' })).rejects.toThrow();
    await expect(handler({ step: 'erase', runId: 'run-1' })).rejects.toThrow();
  });
});
