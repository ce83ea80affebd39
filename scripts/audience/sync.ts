import { join } from 'node:path';
import { SyncStateFile } from '../../adapters/local/sync-state-file';
import { sendBatches } from '../../adapters/segment/tracking-api';
import { AUDIENCES_TABLE, type AudienceGroup } from '../../domain/contract/audiences';
import { SCORES_TABLE } from '../../domain/contract/curated-table';
import { IDENTITIES_TABLE } from '../../domain/contract/identity';
import { literal } from '../../domain/contract/sql/sql-text';
import {
  identifyCall,
  linkedUserOf,
  personOf,
  predictionTraits,
  syncFingerprint,
  type Traits,
} from '../../domain/core/audiences/segment-sync';
import { openLocalLake } from '../../local/lake-query';
import { listDefinitions, MissingInput } from './audiences';

export interface SyncReport {
  customer: string;
  audiences: string[];
  users: number;
  sent: number;
  unchanged: number;
  failed: number;
  batches: number;
}

interface SyncOptions {
  dataDir: string;
  customer: string;
  name?: string;
  host: string;
  writeKey: string;
  now: Date;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

/** What was last sent per user, as hashes only (`syncFingerprint`): `$DATA_DIR/audience-sync/<customer>.json`. */
const statePath = (dataDir: string, customer: string) => join(dataDir, 'audience-sync', `${customer}.json`);

/**
 * `npm run audience -- sync`: identify calls through Segment's HTTP Tracking API (`POST <host>/v1/batch`,
 * Basic auth with the source's write key) carrying each user's prediction and audience traits, for
 * every user whose traits changed since the last sync. A batch is retried on 429 and 5xx (Retry-After
 * first, else back-off); what a batch delivered is recorded before the next is sent, so a rerun after a
 * crash sends only the rest, and the deterministic messageIds let Segment drop any copy.
 */
export async function syncAudiences(options: SyncOptions): Promise<SyncReport> {
  const lakeRoot = join(options.dataDir, 'lake');
  const definitions = listDefinitions(lakeRoot, options.customer).filter(
    (d) => options.name === undefined || d.name === options.name,
  );
  if (definitions.length === 0)
    throw new MissingInput(
      `no audience${options.name ? ` ${options.name}` : ''} for ${options.customer}: create one with npm run audience -- create`,
    );
  const traits = new Map<string, Traits>();
  const anonymous = new Set<string>();
  const linkedTo = new Map<string, string>();
  const lake = await openLocalLake(lakeRoot);
  try {
    for (const d of definitions) {
      const latest = d.versions.at(-1)!;
      const where = `customer_id = ${literal(d.customer_id)} AND audience = ${literal(d.name)}`;
      const members = (
        await lake.query(`SELECT user_id, "group", version FROM ${AUDIENCES_TABLE} WHERE ${where}`)
      ).rows;
      const groups = new Map<string, AudienceGroup | 'left'>();
      for (const m of members)
        if (Number(m.version) !== latest.version) groups.set(String(m.user_id), 'left');
      for (const m of members)
        if (Number(m.version) === latest.version) groups.set(String(m.user_id), m.group as AudienceGroup);
      // Who is a visitor scored under their anonymous id (sent by anonymousId), from any scoring.
      for (const r of (
        await lake.query(
          `SELECT person FROM ${SCORES_TABLE} WHERE customer_id = ${literal(d.customer_id)} AND event_key = ${literal(d.event_key)} GROUP BY person HAVING bool_and(user_id IS NULL)`,
        )
      ).rows)
        anonymous.add(String(r.person));
      const scored = new Map(
        (
          await lake.query(
            `SELECT person, probability, percentile FROM ${SCORES_TABLE} WHERE customer_id = ${literal(d.customer_id)} AND event_key = ${literal(d.event_key)} AND as_of = DATE ${literal(latest.as_of)}`,
          )
        ).rows.map((r) => [
          String(r.person),
          { probability: Number(r.probability), percentile: Number(r.percentile) },
        ]),
      );
      for (const [user, group] of groups)
        traits.set(user, {
          ...traits.get(user),
          ...predictionTraits(d.event, scored.get(user), [{ name: d.name, group }]),
        });
    }
    // Each anonymous person checked against the identity graph as it is now: one linked (merged) to a
    // user since the scoring is sent with that user id too.
    for (const r of await mergedLinks(lake, options.customer)) linkedTo.set(r.anonymous_id, r.user_id);
  } finally {
    lake.close();
  }

  const stateFile = new SyncStateFile(statePath(options.dataDir, options.customer));
  const state = stateFile.read();
  const timestamp = options.now.toISOString();
  const changed = [...traits]
    .filter(([user, t]) => {
      const linked = anonymous.has(user) ? linkedTo.get(user) : undefined;
      const { user: key, sent } = syncFingerprint(options.customer, user, t, linked);
      return state[key] !== sent;
    })
    .map(([user, t]) =>
      identifyCall(options.customer, user, t, timestamp, anonymous.has(user), linkedTo.get(user)),
    );
  const result = await sendBatches({
    host: options.host,
    writeKey: options.writeKey,
    calls: changed,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    onBatch: (batch, delivered, i, total) => {
      // Recorded before the next batch is sent: a rerun after a crash sends only the rest.
      if (delivered)
        stateFile.record(
          batch.map((call) =>
            syncFingerprint(options.customer, personOf(call), call.traits, linkedUserOf(call)),
          ),
        );
      options.onProgress?.(i + 1, total);
    },
  });
  stateFile.compact();
  return {
    customer: options.customer,
    audiences: definitions.map((d) => d.name),
    users: traits.size,
    sent: result.sent,
    unchanged: traits.size - changed.length,
    failed: result.failed,
    batches: result.batches,
  };
}

/**
 * The identity graph's merged links of a customer (anonymous id → user id); none before the first
 * compaction that builds it (the table is then empty).
 */
async function mergedLinks(
  lake: Awaited<ReturnType<typeof openLocalLake>>,
  customer: string,
): Promise<{ anonymous_id: string; user_id: string }[]> {
  return (
    await lake.query(
      `SELECT anonymous_id, user_id FROM ${IDENTITIES_TABLE} WHERE customer_id = ${literal(customer)} AND merged`,
    )
  ).rows.map((r) => ({ anonymous_id: String(r.anonymous_id), user_id: String(r.user_id) }));
}
