import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import * as v from 'valibot';
import { AUDIENCES_AREA } from '../../domain/contract/audiences';
import { CURATED_AREA, INTENT_FEATURES_PREFIX } from '../../domain/contract/curated-table';
import {
  awsAudiencePrefixes,
  dueAfterMs,
  ERASE_PASSES_PREFIX,
  ERASE_PLACES,
  type ErasePlace,
  type ErasureEntry,
  erasedRowsKey,
  erasedRowsLines,
  eraseIdForms,
  eraseIdsKey,
  erasePassPrefix,
  erasePrefixes,
} from '../../domain/contract/erasure';
import {
  athenaCountErasedCurated,
  athenaCountErasedLanding,
  athenaDeleteErasedCurated,
  athenaDeleteErasedIdentities,
  athenaLinkedIds,
  athenaObjectsToRewrite,
  athenaRewriteCustomer,
  type ErasedId,
  MAX_USERS_PER_PASS,
} from '../../domain/contract/sql/erasure-sql';
import { athenaOptimizeIdentityFacts } from '../../domain/contract/sql/identity-sql';
import type { Logger } from '../../domain/core/common/ports';
import { parseCsv } from '../../domain/core/erasure/due-requests';
import { CUSTOMERS_PER_RUN } from '../../domain/core/erasure/erase-capacity';
import { eraseFromText } from '../../domain/core/erasure/erase-lines';
import type { EraseStore } from '../../domain/core/erasure/erase-store';
import { ErasureMatcher } from '../../domain/core/erasure/erasure-matcher';
import { executedEntries, type FileCounts, passTotals } from '../../domain/core/erasure/pass-audit';

/** The pass's plan, kept in the lake bucket while it runs (ids in clear) and removed when it ends. */
const PassSchema = v.object({
  customerId: v.string(),
  passId: v.string(),
  requests: v.array(v.string()),
  users: v.array(v.object({ id: v.string(), cutoffMs: v.number() })),
  linked: v.optional(v.array(v.object({ id: v.string(), cutoffMs: v.number() }))),
});
type Pass = v.InferOutput<typeof PassSchema>;

const Counts = v.object({
  place: v.picklist(ERASE_PLACES),
  rows: v.number(),
  byDay: v.record(v.string(), v.object({ events: v.number(), quarantine: v.number() })),
});

interface EraseLog {
  pending(): Promise<ErasureEntry[]>;
  list(customerId: string): Promise<ErasureEntry[]>;
  replace(entries: readonly ErasureEntry[]): Promise<void>;
  hash(customerId: string, id: string): Promise<string>;
}

export interface EraseStepsDeps {
  store: EraseStore;
  log: EraseLog;
  database: string;
  /** The lake bucket: Athena names objects by their `s3://<bucket>/<key>` URL. */
  bucket: string;
  windowHours: number;
  now: () => number;
  logger: Logger;
  /** Publishes how long the oldest pending delete has waited (s), once per plan: an alarm reads it. */
  reportOldestPending?: (seconds: number) => void;
}

// Keys per rewrite invocation: 100 objects of ≤ 128 MiB (Firehose's largest buffer) each is the
// worst case; most are far smaller. The Distributed Map runs these batches 10 at a time.
const KEYS_PER_BATCH = 100;
// Feature sets an intent run leaves under intent/_features/ older than this are no run's any more:
// they are deleted by each erase pass (they hold every user's features).
const STALE_FEATURES_MS = 24 * 3600_000;

const passKey = erasePassPrefix;
// Listings of 1,000 versions one purge invocation reads: each is a list and a DeleteObjects (~0.5 s),
// so ~2.5 minutes of a 15-minute invocation; the state machine calls again while there are more.
/** @internal */
export const PURGE_PAGES = 300;

/** How long the oldest of the pending requests has waited, in whole seconds (0 with none pending). */
function oldestPendingSeconds(pending: readonly Pick<ErasureEntry, 'received_at'>[], now: number): number {
  const oldest = Math.min(...pending.map((e) => Date.parse(e.received_at)));
  return pending.length === 0 ? 0 : Math.max(0, Math.floor((now - oldest) / 1000));
}

/** The pass's ids as the erase_ids table reads them: one JSON line each. */
const idsFile = (ids: readonly ErasedId[]) =>
  ids
    .map(
      (u) =>
        `${JSON.stringify({ id: u.id, cutoff: new Date(u.cutoffMs).toISOString(), forms: eraseIdForms(u.id) })}\n`,
    )
    .join('');

/**
 * The erase pass's steps on AWS (lib/user-erasure.ts), one per invocation; the same rules as the local
 * pass (local/erasure/run-erasure.ts): one pass per customer over its own prefixes, resumable (a
 * pass's files are named by its requests, so a retried pass finds its counts), counted once per object.
 */
export function eraseSteps(deps: EraseStepsDeps) {
  const { store, log } = deps;

  async function readPass(customerId: string, passId: string): Promise<Pass> {
    const body = await store.get(`${passKey(customerId, passId)}pass.json`);
    if (!body) throw new Error(`erase pass ${customerId}/${passId} has no plan`);
    return v.parse(PassSchema, JSON.parse(body.toString('utf8')));
  }

  /** Pending requests by customer, oldest request first, of the customers with one due. */
  async function dueCustomers(): Promise<[string, ErasureEntry[]][]> {
    const pending = await log.pending();
    deps.reportOldestPending?.(oldestPendingSeconds(pending, deps.now()));
    const byCustomer = new Map<string, ErasureEntry[]>();
    for (const e of pending) byCustomer.set(e.customer_id, [...(byCustomer.get(e.customer_id) ?? []), e]);
    return [...byCustomer].filter(
      ([, entries]) => deps.now() - Date.parse(entries[0]!.received_at) >= dueAfterMs(deps.windowHours),
    );
  }

  /** One customer's pass: its plan file and ids (kept if a retried pass already wrote them), its link query. */
  async function planCustomer(customerId: string, entries: readonly ErasureEntry[]) {
    const taken = entries.slice(0, MAX_USERS_PER_PASS);
    const requests = taken.map((e) => e.message_id);
    const passId = createHash('sha256').update(requests.join('\n')).digest('hex').slice(0, 32);
    const users = taken.map((e) => ({ id: e.user_id!, cutoffMs: Date.parse(e.cutoff_at) }));
    const known = await store.get(`${passKey(customerId, passId)}pass.json`);
    if (!known) {
      const pass: Pass = { customerId, passId, requests, users };
      await store.put(`${passKey(customerId, passId)}pass.json`, JSON.stringify(pass));
      await store.put(eraseIdsKey(customerId, passId), idsFile(users));
    }
    return { customerId, passId, linkSql: athenaLinkedIds(deps.database, customerId, passId) };
  }

  return {
    /** After the VACUUM: the noncurrent versions under the curated table deleted (PURGE_PAGES listings). */
    async purgeCurated() {
      const { removed, more } = await store.removeNoncurrent(`${CURATED_AREA}/`, PURGE_PAGES);
      deps.logger.info('old curated versions removed', { removed, more });
      return { removed, more };
    },

    /**
     * The run's passes: every customer with requests due, oldest first, at most CUSTOMERS_PER_RUN
     * (erase-capacity.ts), each planned, written as the items the state machine's Distributed Map runs
     * (a pass per customer, several at once). The file names customers and passes, never a user.
     */
    async planRun(runId: string) {
      const due = await dueCustomers();
      const items = [];
      for (const [customerId, entries] of due.slice(0, CUSTOMERS_PER_RUN))
        items.push(await planCustomer(customerId, entries));
      const runs = `${ERASE_PASSES_PREFIX}/_runs/`;
      const itemsKey = `${runs}${runId}/customers.json`;
      // Earlier runs' items are no run's any more (they name customers and passes, never a user).
      await store.remove((await store.list(runs)).map((o) => o.key).filter((k) => k !== itemsKey));
      await store.put(itemsKey, JSON.stringify(items));
      return { itemsKey, customers: items.length, due: due.length };
    },

    /** Reads the links, writes the pass's ids, and gives the statements: the objects to rewrite, the curated table's. */
    async prepare(customerId: string, passId: string, linkQueryId: string) {
      const pass = await readPass(customerId, passId);
      const cutoffOf = new Map(pass.users.map((u) => [u.id, u.cutoffMs]));
      const [, ...rows] = parseCsv(await store.queryResult(linkQueryId));
      const linked = new Map<string, number>();
      for (const [userId, id] of rows)
        if (userId && id) linked.set(id, Math.max(linked.get(id) ?? 0, cutoffOf.get(userId) ?? 0));
      pass.linked = [...linked].map(([id, cutoffMs]) => ({ id, cutoffMs }));
      await store.put(`${passKey(customerId, passId)}pass.json`, JSON.stringify(pass));
      await store.put(eraseIdsKey(customerId, passId), idsFile([...pass.users, ...pass.linked]));
      // The link query's result lists ids: not kept.
      await store.removeQueryResult(linkQueryId);
      return {
        objectsSql: athenaObjectsToRewrite(deps.database, customerId, passId),
        countCuratedSql: athenaCountErasedCurated(deps.database, customerId, passId),
        deleteCuratedSql: athenaDeleteErasedCurated(deps.database, customerId, passId),
        rewriteCuratedSql: athenaRewriteCustomer(deps.database, customerId),
        countLandingSql: athenaCountErasedLanding(deps.database, customerId, passId),
      };
    },

    /**
     * The pass's batches of objects: the landing objects Athena found holding the ids (`"$path"`, the
     * objects query's result), and every object of the places Athena has no table for (Firehose's
     * error output, what redrive moved aside, the customer's scores and audiences), and the stale
     * intent feature sets.
     */
    async planObjects(customerId: string, passId: string, objectsQueryId: string) {
      const found = objectKeys(parseCsv(await store.queryResult(objectsQueryId)), deps.bucket);
      const landing = found.filter((key) => isLandingOf(customerId, key));
      if (landing.length < found.length)
        deps.logger.warn('objects outside the customer’s landing prefixes skipped', {
          customerId,
          skipped: found.length - landing.length,
        });
      const items: { keys: string[]; stale?: boolean }[] = [];
      const batches = (keys: readonly string[], stale?: true) => {
        for (let i = 0; i < keys.length; i += KEYS_PER_BATCH)
          items.push({ keys: keys.slice(i, i + KEYS_PER_BATCH), ...(stale ? { stale } : {}) });
      };
      batches(landing);
      for (const { place, prefix } of listedPrefixes(customerId))
        batches(
          // Of an audience's folder, its members' files only (definition and lift hold no user).
          (await store.list(prefix))
            .map((o) => o.key)
            .filter((k) => place !== 'audiences' || !k.startsWith(AUDIENCES_AREA) || k.includes('/version=')),
        );
      batches(
        (await store.list(INTENT_FEATURES_PREFIX))
          .filter((o) => deps.now() - o.modifiedMs > STALE_FEATURES_MS)
          .map((o) => o.key),
        true,
      );
      const itemsKey = `${passKey(customerId, passId)}items.json`;
      await store.put(itemsKey, JSON.stringify(items.map((item) => ({ ...item, customerId, passId }))));
      await store.removeQueryResult(objectsQueryId);
      deps.logger.info('objects to rewrite', { customerId, landing: landing.length, batches: items.length });
      return { itemsKey, landingObjects: landing.length };
    },

    /**
     * After a run's passes, still under the lease: the identity facts of every finished pass (its plan
     * gone, its ids kept) deleted in one statement, and the table's files rewritten — this run's passes
     * and any an earlier run finished but failed before this step.
     */
    async identityErase() {
      const keys = (await store.list(`${ERASE_PASSES_PREFIX}/`)).map((o) => o.key);
      const has = new Set(keys);
      // A pass's ids file, by the contract's own name for it (erasure.ts, eraseIdsKey).
      const passes = keys
        .map((key) => {
          const [customerId = '', passId = ''] = key.slice(ERASE_PASSES_PREFIX.length + 1).split('/');
          return { key, customerId, passId };
        })
        .filter((p) => p.key === eraseIdsKey(p.customerId, p.passId))
        .filter((p) => !has.has(`${passKey(p.customerId, p.passId)}pass.json`))
        .map(({ customerId, passId }) => ({ customerId, passId }));
      if (passes.length === 0) return { passes, deleteSql: null, rewriteSql: null };
      return {
        passes,
        deleteSql: athenaDeleteErasedIdentities(deps.database, passes),
        rewriteSql: athenaOptimizeIdentityFacts(deps.database),
      };
    },

    /** The finished passes' ids, once their identity facts are gone: nothing of the users is left. */
    async removeErasedIds(passes: readonly { customerId: string; passId: string }[]) {
      for (const p of passes) {
        const key = eraseIdsKey(p.customerId, p.passId);
        if (await store.get(`${passKey(p.customerId, p.passId)}pass.json`)) continue; // not finished
        await store.remove([key]);
        await store.removeOldVersions(key);
      }
      return { removed: passes.length };
    },

    /** One batch of objects rewritten without the users' rows; old versions removed; counts kept first. */
    async rewrite(customerId: string, passId: string, keys: readonly string[], stale = false) {
      if (stale) {
        await store.remove(keys);
        for (const key of keys) await store.removeOldVersions(key);
        return { rows: 0 };
      }
      const pass = await readPass(customerId, passId);
      const matcher = new ErasureMatcher(customerId, toUsers(pass.users), toUsers(pass.linked ?? []));
      let rows = 0;
      for (const key of keys) {
        const place = placeOf(customerId, key);
        const body = await store.get(key);
        if (!body) continue;
        const erased = isParquet(body) ? await eraseParquet(body, matcher) : eraseLines(body, matcher);
        if (!erased) continue;
        rows += erased.counts.rows;
        // The counts first, under the object's name: a retry after the rewrite finds nothing to remove,
        // and the counts of the first attempt still stand.
        const countsKey = `${passKey(customerId, passId)}counts/${createHash('sha256').update(key).digest('hex')}.json`;
        await store.put(countsKey, JSON.stringify({ ...erased.counts, place }));
        if (erased.body === undefined) await store.remove([key]);
        else await store.put(key, erased.body);
        await store.removeOldVersions(key);
      }
      return { rows };
    },

    /** Verifies, writes the audit and the erased-rows counts, and removes the pass's files. */
    async finish(
      customerId: string,
      passId: string,
      queries: { curatedBefore: string; curatedAfter: string; landingAfter: string },
    ) {
      const pass = await readPass(customerId, passId);
      const count = async (id: string) => Number(parseCsv(await store.queryResult(id))[1]?.[0] ?? Number.NaN);
      const remaining = (await count(queries.curatedAfter)) + (await count(queries.landingAfter));
      if (remaining !== 0)
        throw new Error(
          `erase pass ${customerId}/${passId}: ${remaining} rows about the users remain; the next run retries`,
        );
      const files: FileCounts[] = [];
      for (const { key } of await store.list(`${passKey(customerId, passId)}counts/`))
        files.push(v.parse(Counts, JSON.parse((await store.get(key))!.toString('utf8'))));
      const totals = passTotals(files, { curated: await count(queries.curatedBefore) });
      const linkedHashes = (
        await Promise.all((pass.linked ?? []).map((l) => log.hash(customerId, l.id)))
      ).sort();
      const entries = (await log.list(customerId)).filter((e) => pass.requests.includes(e.message_id));
      const updated = executedEntries(entries, totals, new Date(deps.now()).toISOString(), linkedHashes);
      const { rowsRemoved, objects } = totals;
      const lines = updated.flatMap((e) => erasedRowsLines(e));
      if (lines.length > 0)
        await store.put(
          erasedRowsKey(customerId, passId),
          lines.map((l) => `${JSON.stringify(l)}\n`).join(''),
        );
      await log.replace(updated);
      // Every file of the pass but its ids: the run's identity erase reads them (identityErase), then
      // removes them (removeErasedIds).
      const passFiles = (await store.list(passKey(customerId, passId)))
        .map((o) => o.key)
        .filter((key) => key !== eraseIdsKey(customerId, passId));
      await store.remove(passFiles);
      for (const key of passFiles) await store.removeOldVersions(key);
      deps.logger.info('erased', { customerId, requests: updated.length, objects, rowsRemoved });
      return { customerId, requests: updated.length, objectsRewritten: objects, rowsRemoved };
    },
  };
}

const toUsers = (ids: readonly ErasedId[]) => ids.map((u) => ({ userId: u.id, cutoffMs: u.cutoffMs }));

/** Every prefix an erase pass on AWS goes through: the shared ones and the audiences'. */
/** The keys of the objects query's result (`"path"` then one `s3://bucket/key` per row), of this bucket only. */
function objectKeys([, ...rows]: string[][], bucket: string): string[] {
  const inBucket = `s3://${bucket}/`;
  return rows
    .map(([path]) => path ?? '')
    .filter((p) => p.startsWith(inBucket))
    .map((p) => p.slice(inBucket.length));
}

/** The places Athena finds objects in for a pass: the customer's landing events and quarantine. */
const ATHENA_PLACES: readonly ErasePlace[] = ['events', 'quarantine'];

function isLandingOf(customerId: string, key: string): boolean {
  return erasePrefixes(customerId).some((p) => ATHENA_PLACES.includes(p.place) && key.startsWith(p.prefix));
}

/** The places a pass lists whole: no Athena table reads them (small: errors are rare, scores and audiences per customer). */
const listedPrefixes = (customerId: string) =>
  awsErasePrefixes(customerId).filter((p) => !ATHENA_PLACES.includes(p.place));

const awsErasePrefixes = (customerId: string) => [
  ...erasePrefixes(customerId),
  ...awsAudiencePrefixes(customerId),
];

function placeOf(customerId: string, key: string): ErasePlace {
  return awsErasePrefixes(customerId).find((p) => key.startsWith(p.prefix))?.place ?? 'events';
}

function isParquet(body: Buffer): boolean {
  return body.length > 8 && body.subarray(0, 4).toString('latin1') === 'PAR1';
}

/** A gzip (or plain) JSON-lines object without the users' lines; undefined when nothing matched. */
function eraseLines(body: Buffer, matcher: ErasureMatcher) {
  const gzipped = body[0] === 0x1f && body[1] === 0x8b;
  const text = gzipped ? gunzipSync(body).toString('utf8') : body.toString('utf8');
  const erased = eraseFromText(text, matcher);
  const rows = erased.events + erased.quarantine;
  if (rows === 0) return undefined;
  const counts = { rows, byDay: Object.fromEntries(erased.byDay) };
  if (erased.text.length === 0) return { counts, body: undefined };
  return { counts, body: gzipped ? gzipSync(erased.text) : Buffer.from(erased.text) };
}

/**
 * A Parquet file (scores, an audience version's members, a sync's changed users — written by Athena or
 * by us) without the users' rows: the rest rewritten under the file's own schema, so every column keeps
 * its type and the tables over it read it as before.
 */
async function eraseParquet(body: Buffer, matcher: ErasureMatcher) {
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  const kept = rows.filter((r) => !matcher.matchesIds(r.user_id, r.anonymous_id, r.person));
  if (kept.length === rows.length) return undefined;
  const counts = { rows: rows.length - kept.length, byDay: {} };
  if (kept.length === 0) return { counts, body: undefined };
  const { schema } = parquetMetadata(file);
  const parquet = parquetWriteBuffer({
    schema,
    columnData: schema.slice(1).map((column) => ({
      name: column.name,
      data: kept.map((r) => r[column.name] ?? null) as never,
    })),
  });
  return { counts, body: Buffer.from(parquet) };
}
