import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DynamoErasureLog } from '../../../adapters/aws/dynamo-erasure-log';
import { silentLogger } from '../../../adapters/system/json-logger';
import { ERASED_ROWS_PREFIX, eraseIdsKey } from '../../../domain/contract/erasure';
import { CUSTOMERS_PER_RUN } from '../../../domain/core/erasure/erase-capacity';
import { createEraseHandler } from '../../../lambdas/erasure/create-erasure-handler';
import type { EraseStepsDeps } from '../../../lambdas/erasure/erase-steps';
import { type Emulator, emulatorClientConfig, startDynalite } from '../../support/emulators';
import { MemoryEraseStore } from '../../support/memory-erase-store';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const KEY = Buffer.alloc(32, 9);
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ area: 'events', received_at: '2026-11-28T10:00:00.000Z', message: {}, ...fields });

describe('the erase steps on AWS, against DynamoDB (dynalite) and a versioned bucket', () => {
  let dynamo: Emulator;
  let client: DynamoDBClient;
  let table: string;
  let log: DynamoErasureLog;
  let store: MemoryEraseStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.close();
  });
  beforeEach(async () => {
    table = `erasure-${randomUUID()}`;
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [
          { AttributeName: 'customer_id', KeyType: 'HASH' },
          { AttributeName: 'message_id', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'customer_id', AttributeType: 'S' },
          { AttributeName: 'message_id', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    log = new DynamoErasureLog(
      client,
      table,
      async () => KEY,
      () => NOW,
    );
    store = new MemoryEraseStore();
  });

  it("keeps as many customers' requests as the stack serves (maxCustomers), so the cache never empties at full load", async () => {
    const customers = ['c1', 'c2', 'c3'];
    await log.record(customers.map((c) => request(`d-${c}`, `u-${c}`, c)));
    const queries = (cached: number) => {
      const sized = new DynamoErasureLog(
        client,
        table,
        async () => KEY,
        () => NOW,
        cached,
      );
      // Each time the instance asks DynamoDB for a customer's requests (its one query per customer).
      const send = jest.spyOn(sized as unknown as { list: (c: string) => Promise<unknown[]> }, 'list');
      return {
        async askAll() {
          for (const c of [...customers, ...customers]) await sized.erasedFilter(c);
          const n = send.mock.calls.length;
          send.mockRestore();
          return n;
        },
      };
    };

    // Sized for three customers: each is asked once. Sized for two: the third empties it, and all are asked again.
    expect(await queries(3).askAll()).toBe(3);
    expect(await queries(2).askAll()).toBe(6);
  });

  /** The passes a run plans (the items of its Distributed Map). */
  let runs = 0;
  async function planned_(handler: ReturnType<typeof createEraseHandler>) {
    const { itemsKey } = (await handler({ step: 'planRun', runId: `run-${++runs}` })) as { itemsKey: string };
    return JSON.parse(String(await store.get(itemsKey))) as {
      customerId: string;
      passId: string;
      linkSql: string;
    }[];
  }

  /** The erase steps as deployed (72 h window), at a given time. */
  const stepsAt = (now: number, extra: Partial<EraseStepsDeps> = {}) =>
    createEraseHandler({
      store,
      log,
      database: 'db',
      bucket: 'lake',
      windowHours: 72,
      now: () => now,
      logger: silentLogger,
      ...extra,
    });

  const request = (messageId: string, userId: string, customerId = 'acme') => ({
    customer_id: customerId,
    message_id: messageId,
    user_id: userId,
    received_at: '2026-11-28T11:00:00.000Z',
    cutoff_at: '2026-11-28T11:00:00.000Z',
  });

  it('records a delete once (a resend changes nothing), and drops resends of the user’s old data', async () => {
    await log.record([request('d1', 'u1')]);
    await log.record([{ ...request('d1', 'u1'), received_at: '2026-11-29T00:00:00.000Z' }]);
    const entries = await log.list('acme');
    expect(entries).toEqual([
      expect.objectContaining({
        message_id: 'd1',
        status: 'pending',
        received_at: '2026-11-28T11:00:00.000Z',
      }),
    ]);
    const filter = await log.erasedFilter('acme');
    expect(filter!('u1', null, Date.parse('2026-11-28T10:00:00.000Z'))).toBe(true);
    expect(filter!('u1', null, Date.parse('2026-11-28T12:00:00.000Z'))).toBe(false);
    expect(await log.erasedFilter('globex')).toBeUndefined();
  });

  it('publishes, at every plan, how long the oldest pending delete has waited (the OldestPendingDelete alarm)', async () => {
    const reported: number[] = [];
    const plan = stepsAt(NOW, { reportOldestPending: (seconds) => reported.push(seconds) });

    await plan({ step: 'planRun', runId: 'run-1' });
    await log.record([
      request('d1', 'u1'),
      { ...request('d2', 'u2', 'globex'), received_at: '2026-11-30T11:00:00.000Z' },
    ]);
    await plan({ step: 'planRun', runId: 'run-2' });

    // None pending, then the older of the two: 2026-11-28T11:00 to 2026-11-30T12:00 is 49 h.
    expect(reported).toEqual([0, 49 * 3600]);
  });

  it('plans a run: every customer with a request due, oldest first, at most CUSTOMERS_PER_RUN, as the Map’s items (no user id in them)', async () => {
    const customers = Array.from(
      { length: CUSTOMERS_PER_RUN + 2 },
      (_, i) => `c${String(i).padStart(3, '0')}`,
    );
    // Oldest last in the table: the plan orders by the oldest request, not by name.
    await log.record(
      customers.map((c, i) => ({
        ...request(`d-${c}`, `user-${c}`, c),
        received_at: new Date(Date.parse('2026-11-28T11:00:00.000Z') - i * 60_000).toISOString(),
      })),
    );
    await log.record([{ ...request('d-late', 'u-late', 'late'), received_at: '2026-11-30T11:00:00.000Z' }]);
    const handler = stepsAt(NOW);

    const planned = (await handler({ step: 'planRun', runId: 'run-1' })) as {
      itemsKey: string;
      customers: number;
      due: number;
    };
    expect(planned).toMatchObject({ customers: CUSTOMERS_PER_RUN, due: CUSTOMERS_PER_RUN + 2 });
    const items = JSON.parse(String(await store.get(planned.itemsKey))) as {
      customerId: string;
      passId: string;
    }[];
    expect(items.map((i) => i.customerId)).toEqual([...customers].reverse().slice(0, CUSTOMERS_PER_RUN));
    expect(JSON.stringify(items)).not.toMatch(/user-/);
    // Each item's pass is planned (its plan file written), so the children can link and prepare it.
    expect(await store.get(eraseIdsKey(items[0]!.customerId, items[0]!.passId))).toBeDefined();
    // A retried run plans the same passes: nothing is counted twice.
    const again = (await handler({ step: 'planRun', runId: 'run-2' })) as { itemsKey: string };
    expect(JSON.parse(String(await store.get(again.itemsKey)))).toEqual(items);
  });

  it('plans only due requests, rewrites every place of that customer, removes old versions, verifies and audits', async () => {
    await log.record([request('d1', 'u1'), request('d2', 'u1', 'globex')]);
    const handler = stepsAt(NOW);
    // Not due yet a minute after it arrived.
    const early = stepsAt(Date.parse('2026-11-28T11:01:00.000Z'));
    expect(await early({ step: 'planRun', runId: 'early' })).toMatchObject({ customers: 0, due: 0 });

    const events = 'events/customer_id=acme/received_dt=2026-11-28/a.gz';
    await store.put(
      events,
      gzipSync(
        `${[
          line({ customer_id: 'acme', user_id: 'u1', anonymous_id: 'a1', message_id: 'm1' }),
          line({ customer_id: 'acme', anonymous_id: 'a1', message_id: 'm2' }),
          line({ customer_id: 'acme', user_id: 'u2', message_id: 'm3' }),
        ].join('\n')}\n`,
      ),
    );
    const quarantine = 'quarantine/customer_id=_all/received_dt=2026-11-28/q.gz';
    await store.put(
      quarantine,
      gzipSync(
        `${[
          JSON.stringify({
            area: 'quarantine',
            customer_id: 'acme',
            received_at: '2026-11-28T10:00:00.000Z',
            reason: { code: 'x', message: 'x' },
            raw: { userId: 'u1' },
          }),
          JSON.stringify({
            area: 'quarantine',
            customer_id: 'globex',
            received_at: '2026-11-28T10:00:00.000Z',
            reason: { code: 'x', message: 'x' },
            raw: { userId: 'u1' },
          }),
        ].join('\n')}\n`,
      ),
    );
    // An object of acme's that names neither id: Athena does not find it, so the pass never reads it.
    const unrelated = 'events/customer_id=acme/received_dt=2026-11-27/b.gz';
    await store.put(
      unrelated,
      gzipSync(`${line({ customer_id: 'acme', user_id: 'u2', message_id: 'm4' })}\n`),
    );
    const other = 'events/customer_id=globex/received_dt=2026-11-28/g.gz';
    await store.put(other, gzipSync(`${line({ customer_id: 'globex', user_id: 'u1', message_id: 'g1' })}\n`));
    const scores = 'scores/customer_id=acme/event_key=signedup/as_of=2026-11-28/scores.parquet';
    await store.put(
      scores,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'user_id', data: ['u1', 'u2'], type: 'STRING' },
            { name: 'anonymous_id', data: [null, null], type: 'STRING' },
            { name: 'person', data: ['u1', 'u2'], type: 'STRING' },
            { name: 'score', data: [0.9, 0.1], type: 'DOUBLE' },
            { name: 'decile', data: [1, 10], type: 'INT32' },
          ],
        }),
      ),
    );
    // An audience's members as Athena UNLOADs them (no extension), its definition, and a sync's shard.
    const members = 'audiences/customer_id=acme/audience=likely/version=1/20261128_000_0';
    await store.put(
      members,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'user_id', data: ['u1', 'u2'], type: 'STRING' },
            { name: 'group', data: ['target', 'holdout'], type: 'STRING' },
            { name: 'percentile', data: [0.99, 0.95], type: 'DOUBLE' },
            { name: 'created_at', data: ['2026-11-28T00:00:00Z', '2026-11-28T00:00:00Z'], type: 'STRING' },
          ],
        }),
      ),
    );
    const definition = 'audiences/customer_id=acme/audience=likely/audience.json';
    await store.put(definition, '{\n  "name": "likely"\n}\n');
    const shard = 'audience-sync/runs/acme/run-9/shard=1/part-0';
    await store.put(
      shard,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'user_id', data: ['u1'], type: 'STRING' },
            { name: 'grp', data: ['target'], type: 'STRING' },
          ],
        }),
      ),
    );
    await store.put('intent/_features/run-1/training/f.parquet', 'features', NOW - 2 * 86_400_000);
    await store.put('intent/_features/run-2/training/f.parquet', 'features', NOW - 60_000);

    const planned = (await planned_(handler)).find((p) => p.customerId === 'acme')!;
    expect(planned).toMatchObject({ customerId: 'acme' });
    expect(planned.linkSql).toContain("customer_id = 'acme'");
    // Athena's answer to the link query: the anonymous id the identify tied to u1.
    const link = randomUUID();
    store.results.set(link, '"user_id","linked"\n"u1","a1"\n');
    const prepared = (await handler({
      step: 'prepare',
      customerId: 'acme',
      passId: planned.passId,
      linkQueryId: link,
    })) as Record<string, string>;
    expect(store.results.has(link)).toBe(false); // it listed ids: not kept
    expect(prepared.deleteCuratedSql).toMatch(
      /^MERGE INTO "db"\."events_curated" t USING .* WHEN MATCHED THEN DELETE$/,
    );
    // The statements (and every step's output, which Step Functions keeps in its history) name the
    // pass, never a user: the ids are rows of erase_ids, a file of the pass.
    expect(JSON.stringify([planned, prepared])).not.toMatch(/u1|a1/);
    const idsFile = (await store.get(eraseIdsKey('acme', planned.passId)))!.toString();
    expect(
      idsFile
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['u1', 'a1']);
    expect(prepared.objectsSql).toContain('"$path"');
    // Athena's answer to the objects query: the landing objects that name the ids (s3:// URLs), never
    // a listing of everything. An object of another customer or bucket in it is skipped, not rewritten.
    const objects = randomUUID();
    store.results.set(
      objects,
      `"path"\n"s3://lake/${events}"\n"s3://lake/${quarantine}"\n"s3://lake/${other}"\n"s3://elsewhere/${events}"\n`,
    );
    const planned2 = (await handler({
      step: 'planObjects',
      customerId: 'acme',
      passId: planned.passId,
      objectsQueryId: objects,
    })) as { itemsKey: string; landingObjects: number };
    expect(planned2.landingObjects).toBe(2);
    expect(store.results.has(objects)).toBe(false);
    const items = JSON.parse((await store.get(planned2.itemsKey))!.toString()) as {
      keys: string[];
      stale?: boolean;
      customerId: string;
      passId: string;
    }[];
    expect(items.flatMap((i) => i.keys)).toEqual(
      expect.arrayContaining([
        events,
        quarantine,
        scores,
        members,
        shard,
        'intent/_features/run-1/training/f.parquet',
      ]),
    );
    expect(items.flatMap((i) => i.keys)).not.toContain(definition);
    expect(items.flatMap((i) => i.keys)).not.toContain(other);
    expect(items.flatMap((i) => i.keys)).not.toContain(unrelated);
    expect(items.flatMap((i) => i.keys)).not.toContain('intent/_features/run-2/training/f.parquet');
    for (const item of items) await handler({ step: 'rewrite', ...item });
    // A retried batch changes nothing and counts nothing twice.
    for (const item of items) await handler({ step: 'rewrite', ...item });

    const [before, after, landing] = [randomUUID(), randomUUID(), randomUUID()];
    store.results.set(before, '"n"\n"4"\n');
    store.results.set(after, '"n"\n"0"\n');
    store.results.set(landing, '"n"\n"0"\n');
    const finished = await handler({
      step: 'finish',
      customerId: 'acme',
      passId: planned.passId,
      curatedBefore: before,
      curatedAfter: after,
      landingAfter: landing,
    });
    expect(finished).toMatchObject({
      customerId: 'acme',
      requests: 1,
      rowsRemoved: { events: 2, quarantine: 1, scores: 1, audiences: 2, curated: 4 },
    });

    // The run's identity erase: every finished pass (its plan gone, its ids kept) in one statement —
    // then the ids go too.
    const identities = (await handler({ step: 'identityErase' })) as {
      passes: { customerId: string; passId: string }[];
      deleteSql: string;
      rewriteSql: string;
    };
    expect(identities.passes).toEqual([{ customerId: 'acme', passId: planned.passId }]);
    expect(identities.deleteSql).toMatch(
      /^MERGE INTO "db"\."identity_facts" t USING .* WHEN MATCHED THEN DELETE$/,
    );
    expect(identities.rewriteSql).toBe('OPTIMIZE "db"."identity_facts" REWRITE DATA USING BIN_PACK');
    expect(JSON.stringify(identities)).not.toMatch(/u1|a1/);
    await handler({ step: 'removeErasedIds', passes: identities.passes });
    expect(await handler({ step: 'identityErase' })).toEqual({
      passes: [],
      deleteSql: null,
      rewriteSql: null,
    });

    // Nothing of u1 or a1 of acme anywhere in the bucket, old versions included; globex untouched.
    const text = store.allText();
    expect(text).not.toMatch(/"m1"|"m2"|"a1"/);
    expect(text).toContain('"m3"');
    expect(await store.get(other)).toBeDefined();
    expect(store.versions.get(events)).toHaveLength(1);
    expect(store.versions.get(unrelated)).toHaveLength(1);
    const kept = await parquetReadObjects({
      file: new Uint8Array((await store.get(scores))!).buffer as ArrayBuffer,
    });
    expect(kept.map((r) => r.person)).toEqual(['u2']);
    // Rewritten under the file's own schema: every column keeps its type (decile stays INT32).
    const schemaOf = async (key: string) =>
      parquetMetadata(new Uint8Array((await store.get(key))!).buffer as ArrayBuffer)
        .schema.slice(1)
        .map((c) => `${c.name}:${c.type}`);
    expect(await schemaOf(scores)).toEqual([
      'user_id:BYTE_ARRAY',
      'anonymous_id:BYTE_ARRAY',
      'person:BYTE_ARRAY',
      'score:DOUBLE',
      'decile:INT32',
    ]);
    const members2 = await parquetReadObjects({
      file: new Uint8Array((await store.get(members))!).buffer as ArrayBuffer,
    });
    expect(members2).toEqual([
      { user_id: 'u2', group: 'holdout', percentile: 0.95, created_at: '2026-11-28T00:00:00Z' },
    ]);
    expect(await store.get(shard)).toBeUndefined();
    expect(await store.get(definition)).toBeDefined();
    expect(await store.list('intent/_features/run-1/')).toEqual([]);
    expect(await store.list('intent/_features/run-2/')).toHaveLength(1);
    // The pass's own files (ids in clear) are gone; the erased-rows counts and the audit remain.
    expect(await store.list('erasure/_passes/acme/')).toEqual([]);
    expect(await store.list(`${ERASED_ROWS_PREFIX}/`)).toHaveLength(1);
    const [entry] = await log.list('acme');
    expect(entry).toMatchObject({
      status: 'done',
      remaining_after: 0,
      removed_by_day: { '2026-11-28': { events: 2, quarantine: 1 } },
    });
    expect(entry!.user_id).toBeUndefined();
    expect(entry!.linked_hashes).toHaveLength(1);
    expect((await log.list('globex'))[0]).toMatchObject({ status: 'pending', user_id: 'u1' });
  });

  it('after the VACUUM, deletes the old versions of the curated files it removed, so no erased row stays in the bucket', async () => {
    // An Iceberg data file the DELETE rewrote (its old bytes hold the user's row), one VACUUM removed,
    // and one untouched.
    await store.put('curated/events/customer_id=acme/event_month=2026-11/f1.parquet', 'row of u1');
    await store.put('curated/events/customer_id=acme/event_month=2026-11/f1.parquet', 'rows of the others');
    await store.put('curated/events/customer_id=acme/event_month=2026-11/f0.parquet', 'old row of u1');
    await store.remove(['curated/events/customer_id=acme/event_month=2026-11/f0.parquet']);
    await store.put('curated/events/customer_id=globex/event_month=2026-11/g.parquet', 'globex');
    await store.put('events/customer_id=acme/received_dt=2026-11-28/a.gz', 'landing v1');
    await store.put('events/customer_id=acme/received_dt=2026-11-28/a.gz', 'landing v2');

    expect(await stepsAt(NOW)({ step: 'purgeCurated' })).toEqual({ removed: 2, more: false });
    expect(store.allText()).not.toContain('u1');
    // Current files stay; nothing outside the curated table is touched.
    expect(await store.list('curated/events/')).toHaveLength(2);
    expect(store.versions.get('events/customer_id=acme/received_dt=2026-11-28/a.gz')).toHaveLength(2);
  });

  it('refuses to finish while Athena still counts rows about the user: the pass is retried next run', async () => {
    await log.record([request('d1', 'u1')]);
    const handler = stepsAt(NOW);
    const [planned] = await planned_(handler);
    const link = randomUUID();
    store.results.set(link, '"user_id","linked"\n');
    await handler({ step: 'prepare', customerId: 'acme', passId: planned.passId, linkQueryId: link });
    const [before, after, landing] = [randomUUID(), randomUUID(), randomUUID()];
    store.results.set(before, '"n"\n"1"\n');
    store.results.set(after, '"n"\n"1"\n');
    store.results.set(landing, '"n"\n"0"\n');
    await expect(
      handler({
        step: 'finish',
        customerId: 'acme',
        passId: planned.passId,
        curatedBefore: before,
        curatedAfter: after,
        landingAfter: landing,
      }),
    ).rejects.toThrow(/1 rows about the users remain/);
    expect((await log.list('acme'))[0]).toMatchObject({ status: 'pending' });
    // An unfinished pass's identity facts wait for its finish (its ids are still its plan's).
    expect(await handler({ step: 'identityErase' })).toMatchObject({ passes: [] });
    // The next run plans the same pass (same requests, same files): nothing is counted twice.
    expect((await planned_(handler))[0]).toMatchObject({ passId: planned!.passId });
  });
});
