import { join } from 'node:path';
import { SyncStateFile } from '../../adapters/local/sync-state-file';
import { sendBatches } from '../../adapters/segment/tracking-api';
import { AUDIENCES_TABLE, type AudienceGroup } from '../../domain/contract/audiences';
import { SCORES_TABLE } from '../../domain/contract/curated-table';
import { IDENTITIES_TABLE } from '../../domain/contract/identity';
import { latestScoringSql } from '../../domain/contract/sql/audience-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import {
  currentPrediction,
  identifyCall,
  membershipTraits,
  syncFingerprint,
  type Traits,
} from '../../domain/core/audiences/segment-sync';
import { openLocalLake } from '../../local/lake-query';
import { listDefinitions, MissingInput, scoringVerdict } from './audiences';

export interface SyncReport {
  customer: string;
  audiences: string[];
  users: number;
  sent: number;
  unchanged: number;
  failed: number;
  batches: number;
  /** Per predicted event: the scoring its traits come from, or why none were sent. */
  predictions: {
    event: string;
    asOf: string;
    /** The scoring's grade when it was Poor: no prediction trait is sent from it. */
    poor?: string;
    /** Persons scored, sent (their decile changed), in a current holdout, anonymous and not opted in. */
    scored: number;
    sent: number;
    heldOut: number;
    anonymousSkipped: number;
  }[];
}

interface SyncOptions {
  dataDir: string;
  customer: string;
  name?: string;
  host: string;
  writeKey: string;
  now: Date;
  /** Send prediction traits of visitors scored under their anonymous id too (the customer opts in). */
  includeAnonymous?: boolean;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

/** What was last sent per user, as hashes only (`syncFingerprint`): `$DATA_DIR/audience-sync/<customer>.json`. */
const statePath = (dataDir: string, customer: string) => join(dataDir, 'audience-sync', `${customer}.json`);

type Lake = Awaited<ReturnType<typeof openLocalLake>>;

/**
 * `npm run audience -- sync`: identify calls through Segment's HTTP Tracking API (`POST <host>/v1/batch`,
 * Basic auth with the source's write key) carrying two kinds of traits, each sent only when it changed
 * since the last sync:
 * - membership: `audience_<name>` of each audience's members (true only in the target group);
 * - one current prediction per person and event: `predicted_<event>_percentile` / `_probability` from
 *   the latest scoring of the event, for every scored person outside any current holdout, sent when the
 *   person's decile changes, never from a scoring graded Poor; visitors scored under their anonymous id
 *   only with `includeAnonymous`.
 * A batch is retried on 429 and 5xx (Retry-After first, else back-off); what a batch delivered is
 * recorded before the next is sent, so a rerun after a crash sends only the rest, and the deterministic
 * messageIds let Segment drop any copy.
 */
export async function syncAudiences(options: SyncOptions): Promise<SyncReport> {
  const lakeRoot = join(options.dataDir, 'lake');
  const all = listDefinitions(lakeRoot, options.customer);
  const definitions = all.filter((d) => options.name === undefined || d.name === options.name);
  if (definitions.length === 0)
    throw new MissingInput(
      `no audience${options.name ? ` ${options.name}` : ''} for ${options.customer}: create one with npm run audience -- create`,
    );
  const membership = new Map<string, Traits>();
  const anonymous = new Set<string>();
  const linkedTo = new Map<string, string>();
  const heldOut = new Set<string>();
  const scorings: { event: string; eventKey: string; asOf: string; poor?: string; rows: Scored[] }[] = [];
  const lake = await openLocalLake(lakeRoot);
  try {
    for (const d of definitions) {
      const latest = d.versions.at(-1)!;
      const groups = await versionGroups(lake, d.customer_id, d.name, latest.version);
      for (const [user, group] of groups)
        membership.set(user, { ...membership.get(user), ...membershipTraits([{ name: d.name, group }]) });
    }
    // A current holdout of any audience of the customer keeps its members out of every prediction trait.
    for (const d of all)
      for (const [user, group] of await versionGroups(
        lake,
        d.customer_id,
        d.name,
        d.versions.at(-1)!.version,
      ))
        if (group === 'holdout') heldOut.add(user);
    for (const d of uniqueBy(definitions, (x) => x.event_key)) {
      const [latest] = (await lake.query(latestScoringSql((t) => t, d.customer_id, d.event_key))).rows;
      if (!latest?.d) continue;
      const asOf = String(latest.d);
      const poor = scoringVerdict(lakeRoot, d.customer_id, d.event_key, asOf);
      const rows = poor ? [] : await scoredPersons(lake, d.customer_id, d.event_key, asOf);
      scorings.push({
        event: d.event,
        eventKey: d.event_key,
        asOf,
        ...(poor ? { poor: poor.grade } : {}),
        rows,
      });
    }
    // Who is a visitor scored under their anonymous id (sent by anonymousId), from any scoring.
    for (const d of uniqueBy(definitions, (x) => x.event_key))
      for (const r of (
        await lake.query(
          `SELECT person FROM ${SCORES_TABLE} WHERE customer_id = ${literal(d.customer_id)} AND event_key = ${literal(d.event_key)} GROUP BY person HAVING bool_and(user_id IS NULL)`,
        )
      ).rows)
        anonymous.add(String(r.person));
    // Each anonymous person checked against the identity graph as it is now: one linked (merged) to a
    // user since the scoring is sent with that user id too.
    for (const r of await mergedLinks(lake, options.customer)) linkedTo.set(r.anonymous_id, r.user_id);
  } finally {
    lake.close();
  }

  const stateFile = new SyncStateFile(statePath(options.dataDir, options.customer));
  const state = stateFile.read();
  const timestamp = options.now.toISOString();
  const linkOf = (person: string) => (anonymous.has(person) ? linkedTo.get(person) : undefined);
  // Per person: the traits to send and the state entries to record once they are delivered.
  const pending = new Map<string, { traits: Traits; records: { user: string; sent: string }[] }>();
  const add = (person: string, traits: Traits, record: { user: string; sent: string }) => {
    const p = pending.get(person) ?? { traits: {}, records: [] };
    Object.assign(p.traits, traits);
    p.records.push(record);
    pending.set(person, p);
  };
  for (const [person, traits] of membership) {
    const fingerprint = syncFingerprint(options.customer, person, traits, linkOf(person));
    if (state[fingerprint.user] !== fingerprint.sent) add(person, traits, fingerprint);
  }
  const predictions: SyncReport['predictions'] = [];
  for (const scoring of scorings) {
    const counts = { scored: scoring.rows.length, sent: 0, heldOut: 0, anonymousSkipped: 0 };
    for (const r of scoring.rows) {
      if (r.anonymous && !options.includeAnonymous) {
        counts.anonymousSkipped += 1;
        continue;
      }
      const held = heldOut.has(r.person);
      if (held) counts.heldOut += 1;
      const current = currentPrediction(
        options.customer,
        r.person,
        scoring.event,
        held ? 'held-out' : r,
        (key) => state[key],
        linkOf(r.person),
      );
      if (current.send) {
        counts.sent += 1;
        add(r.person, current.send, current.record);
      }
    }
    predictions.push({
      event: scoring.event,
      asOf: scoring.asOf,
      ...(scoring.poor ? { poor: scoring.poor } : {}),
      ...counts,
    });
  }
  const persons = new Set([...membership.keys(), ...scorings.flatMap((s) => s.rows.map((r) => r.person))]);
  const calls = [...pending].map(([person, p]) => ({
    call: identifyCall(
      options.customer,
      person,
      p.traits,
      timestamp,
      anonymous.has(person),
      linkedTo.get(person),
    ),
    records: p.records,
  }));
  const recordsOf = new Map(calls.map((c) => [c.call.messageId, c.records]));
  const result = await sendBatches({
    host: options.host,
    writeKey: options.writeKey,
    calls: calls.map((c) => c.call),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    onBatch: (batch, delivered, i, total) => {
      // Recorded before the next batch is sent: a rerun after a crash sends only the rest.
      if (delivered) stateFile.record(batch.flatMap((call) => recordsOf.get(call.messageId) ?? []));
      options.onProgress?.(i + 1, total);
    },
  });
  stateFile.compact();
  return {
    customer: options.customer,
    audiences: definitions.map((d) => d.name),
    users: persons.size,
    sent: result.sent,
    unchanged: persons.size - calls.length,
    failed: result.failed,
    batches: result.batches,
    predictions,
  };
}

interface Scored {
  person: string;
  anonymous: boolean;
  percentile: number;
  probability: number;
  decile: number;
}

/** A scoring's persons: whether each was scored under an anonymous id, and its percentile, probability and decile. */
async function scoredPersons(
  lake: Lake,
  customer: string,
  eventKey: string,
  asOf: string,
): Promise<Scored[]> {
  return (
    await lake.query(
      `SELECT person, user_id IS NULL AS anonymous, percentile, probability, decile FROM ${SCORES_TABLE} WHERE customer_id = ${literal(customer)} AND event_key = ${literal(eventKey)} AND as_of = DATE ${literal(asOf)}`,
    )
  ).rows.map((r) => ({
    person: String(r.person),
    anonymous: r.anonymous === true,
    percentile: Number(r.percentile),
    probability: Number(r.probability),
    decile: Number(r.decile),
  }));
}

/** An audience's latest version's groups, and `left` for members of earlier versions no longer in it. */
async function versionGroups(lake: Lake, customer: string, name: string, latest: number) {
  const where = `customer_id = ${literal(customer)} AND audience = ${literal(name)}`;
  const members = (
    await lake.query(`SELECT user_id, "group", version FROM ${AUDIENCES_TABLE} WHERE ${where}`)
  ).rows;
  const groups = new Map<string, AudienceGroup | 'left'>();
  for (const m of members) if (Number(m.version) !== latest) groups.set(String(m.user_id), 'left');
  for (const m of members)
    if (Number(m.version) === latest) groups.set(String(m.user_id), m.group as AudienceGroup);
  return groups;
}

const uniqueBy = <T>(items: readonly T[], key: (t: T) => string) => [
  ...new Map(items.map((i) => [key(i), i])).values(),
];

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
