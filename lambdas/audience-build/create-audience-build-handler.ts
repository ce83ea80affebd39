import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { type AthenaLakeOptions, athenaQuery } from '../../adapters/aws/athena-query';
import {
  AUDIENCE_DEFINITION_FILE,
  AUDIENCE_LIFT_FILE,
  AUDIENCE_NAME_PATTERN,
  AUDIENCE_SYNC_SHARDS,
  AUDIENCES_AREA,
  type AudienceDefinition,
  AudienceDefinitionSchema,
  type AudienceSyncState,
  AudienceSyncStateSchema,
  audienceFolder,
  audienceSyncRunPrefix,
  audienceSyncStateKey,
} from '../../domain/contract/audiences';
import { INTENT_REPORTS_PREFIX, scoresPartitionPath } from '../../domain/contract/curated-table';
import { CustomerIdSchema } from '../../domain/contract/formats';
import {
  audienceChangeSql,
  audienceConversionsSql,
  audienceMembersSql,
  audienceSyncSql,
  latestScoringSql,
  predictionSyncSql,
  type TableRef,
} from '../../domain/contract/sql/audience-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import { audienceVersion } from '../../domain/core/audiences/membership';
import { conversionCounts, liftFromConversions } from '../../domain/core/audiences/uplift';
import type { ObjectStore, SecretStore } from '../../domain/core/common/ports';
import { notRecommended } from '../../domain/core/intent/model-quality';
import { normalizeEventName } from '../../domain/core/messages/normalize-event-name';

/**
 * What starts an audience run on AWS: a customer (the weekly schedule gives each customer that has
 * audiences), and to create one, its definition as `npm run audience -- create` takes it.
 */
const AudienceRunSchema = v.object({
  customer: CustomerIdSchema,
  create: v.optional(
    v.object({
      name: v.pipe(v.string(), v.regex(AUDIENCE_NAME_PATTERN, 'a snake-case name, e.g. likely_signups')),
      event: v.pipe(v.string(), v.minLength(1, 'an event name')),
      top: v.pipe(v.number(), v.gtValue(0), v.maxValue(100)),
      holdout: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(50)), 10),
      /** Build even from a scoring graded Poor (as `npm run audience -- create --force`). */
      force: v.optional(v.boolean(), false),
    }),
  ),
  /**
   * Opt in (true) or out (false) of prediction traits for visitors scored under their anonymous id; kept
   * in the sync state for the next runs. Absent: as before (off until opted in).
   */
  anonymousPredictions: v.optional(v.boolean()),
});

/**
 * The most audiences a customer syncs in one run: each adds ~1.5 KB to the sync's one UNLOAD, well under
 * Athena's 262,144-byte query string (domain/contract/sql/athena-rules.ts) at 100.
 */
const MAX_AUDIENCES_PER_CUSTOMER = 100;

export interface AudienceDeps {
  athena: AthenaLakeOptions;
  objects: ObjectStore;
  secrets: SecretStore;
  bucket: string;
  writeKeySecretPrefix: string;
  now: () => Date;
  runId?: () => string;
}

/** What the state machine carries to the sending Map and to the step that records the sync. */
export interface AudienceRun {
  customer: string;
  runId: string;
  /** Where the changed users are, one or more Parquet files per shard. */
  prefix: string;
  /** Written once every shard is sent: what this run sent becomes the base of the next. */
  stateKey: string;
  state: string;
  timestamp: string;
  audiences: {
    name: string;
    version: number;
    asOf: string;
    built: boolean;
    liftKey: string;
    /** A newer scoring graded Poor, passed over: the audience kept its last version. */
    kept?: { asOf: string; grade: string };
  }[];
}

const table: (database: string) => TableRef = (database) => (name) => `"${database}"."${name}"`;

const readJson = async (objects: ObjectStore, bucket: string, key: string): Promise<unknown | undefined> => {
  const text = await objects.readText(bucket, key);
  return text === undefined ? undefined : JSON.parse(text);
};

/** A customer's audience definitions, as `npm run audience -- list` reads them locally. */
/** What the intent run's report says against the scoring of `asOf` (nothing without a report). */
async function scoringVerdict(
  deps: AudienceDeps,
  customer: string,
  definition: AudienceDefinition,
  asOf: string,
): Promise<{ grade: string } | undefined> {
  const key = `${INTENT_REPORTS_PREFIX}${scoresPartitionPath(customer, definition.event_key, asOf)}report.json`;
  const report = await readJson(deps.objects, deps.bucket, key);
  return report === undefined ? undefined : notRecommended(report);
}

async function definitionsOf(deps: AudienceDeps, customer: string): Promise<AudienceDefinition[]> {
  const keys = (
    await deps.objects.listKeys(deps.bucket, `${AUDIENCES_AREA}/customer_id=${customer}/`)
  ).filter((k) => k.endsWith(`/${AUDIENCE_DEFINITION_FILE}`));
  return Promise.all(
    keys.map(async (k) => v.parse(AudienceDefinitionSchema, await readJson(deps.objects, deps.bucket, k))),
  );
}

/**
 * One audience run on AWS, all of it in Athena over the scores and curated tables:
 * 1. each audience of the customer whose event was rescored gets a new version — its members UNLOADed
 *    as Parquet into the `audiences` table, its sizes and who entered and left counted;
 * 2. each audience's lift since its creation (the conversions query, the same uplift as locally) is
 *    written beside its definition;
 * 3. the users whose traits changed since the last sync are UNLOADed in shards for the sending Map.
 */
export async function runAudiences(input: unknown, deps: AudienceDeps): Promise<AudienceRun> {
  const request = v.parse(AudienceRunSchema, input);
  const { customer } = request;
  const db = table(deps.athena.database);
  const ask = async (sql: string) => (await athenaQuery(sql, deps.athena)).rows;
  const definitions = await definitionsOf(deps, customer);
  if (request.create) {
    const { name, event, top, holdout } = request.create;
    if (definitions.some((d) => d.name === name))
      throw new Error(
        `audience ${name} of ${customer} exists: start the run with only the customer to refresh it`,
      );
    definitions.push({
      version: 1,
      name,
      customer_id: customer,
      event,
      event_key: normalizeEventName(event).key,
      top,
      holdout,
      created_at: deps.now().toISOString(),
      versions: [],
    });
  }
  if (definitions.length === 0)
    throw new Error(`no audience for ${customer}: start the run with {"customer", "create": {...}} first`);
  if (definitions.length > MAX_AUDIENCES_PER_CUSTOMER)
    throw new Error(
      `${customer} has ${definitions.length} audiences, more than ${MAX_AUDIENCES_PER_CUSTOMER}`,
    );
  // Fail before any work when there is nowhere to send: the name only, never the key's value.
  const secretId = `${deps.writeKeySecretPrefix}${customer}`;
  if (!(await deps.secrets.exists(secretId)))
    throw new Error(
      `no Segment write key for ${customer}: aws secretsmanager create-secret --name ${secretId} --secret-string <write key>`,
    );

  const now = deps.now().toISOString();
  const built: AudienceRun['audiences'] = [];
  // Every audience's scoring first: a creation refused for its scoring stops the run before any UNLOAD.
  const plans: {
    definition: AudienceDefinition;
    last: AudienceDefinition['versions'][number] | undefined;
    asOf: string;
    kept?: { asOf: string; grade: string };
  }[] = [];
  for (const definition of definitions) {
    const [latest] = await ask(latestScoringSql(db, customer, definition.event_key));
    if (!latest?.d)
      throw new Error(
        `no scores of "${definition.event}" for ${customer}: run the intent state machine with {"customer": "${customer}", "event": "${definition.event}"} first`,
      );
    const scoredAt = String(latest.d);
    const last = definition.versions.at(-1);
    // Never from a Poor scoring: a new audience is refused unless forced, a refresh keeps the last version.
    const poor =
      last?.as_of === scoredAt ? undefined : await scoringVerdict(deps, customer, definition, scoredAt);
    const forced = request.create?.name === definition.name && request.create.force;
    if (poor && !last && !forced)
      throw new Error(
        `the scoring of ${scoredAt} is graded ${poor.grade}: its scores predict little better than chance (docs/intent.md, "Quality grade"); start with "create": {…, "force": true} to build ${definition.name} from it anyway`,
      );
    const kept = poor && last && !forced ? { asOf: scoredAt, grade: poor.grade } : undefined;
    plans.push({ definition, last, asOf: kept ? last!.as_of : scoredAt, ...(kept ? { kept } : {}) });
  }
  for (const { definition, last, asOf, kept } of plans) {
    const isNew = last?.as_of !== asOf;
    if (isNew) {
      const version = (last?.version ?? 0) + 1;
      const folder = `${audienceFolder(customer, definition.name)}version=${version}/`;
      // What a failed attempt left (the definition never named it): UNLOAD writes only into an empty
      // prefix, and leaves its files behind when it fails (https://docs.aws.amazon.com/athena/latest/ug/unload.html).
      await deps.objects.removeUnder(deps.bucket, folder);
      await ask(
        `UNLOAD (${audienceMembersSql('athena', db, {
          customer,
          eventKey: definition.event_key,
          asOf,
          name: definition.name,
          top: definition.top,
          holdout: definition.holdout,
          createdAt: now,
          version,
        })}) TO ${literal(`s3://${deps.bucket}/${folder}`)} WITH (format = 'PARQUET', compression = 'SNAPPY')`,
      );
      const [change = {}] = await ask(audienceChangeSql(db, customer, definition.name, version));
      definition.versions.push(audienceVersion(version, asOf, now, change));
      // The definition last: a version whose members were not written never appears in it.
      await deps.objects.putJson(
        deps.bucket,
        `${audienceFolder(customer, definition.name)}${AUDIENCE_DEFINITION_FILE}`,
        definition,
      );
    }
    const version = definition.versions.at(-1)!.version;
    const since = definition.created_at.slice(0, 10);
    // Intent to treat: everyone ever assigned, in the group of their first assignment.
    const counts = await ask(audienceConversionsSql(db, definition, since));
    const lift = liftFromConversions(conversionCounts(counts));
    const liftKey = `${audienceFolder(customer, definition.name)}${AUDIENCE_LIFT_FILE}`;
    await deps.objects.putJson(deps.bucket, liftKey, {
      audience: definition.name,
      customer,
      event: definition.event,
      since,
      version,
      computed_at: now,
      ...lift,
    });
    built.push({ name: definition.name, version, asOf, built: isNew, liftKey, ...(kept ? { kept } : {}) });
  }

  // The changed users of every audience, in shards: one UNLOAD, one Map item per file. Each part is a
  // subquery of its own: Trino's grammar takes no WITH inside a parenthesized UNION term.
  const stateKey = audienceSyncStateKey(customer);
  const previous = (await readJson(deps.objects, deps.bucket, stateKey)) as unknown;
  const last: AudienceSyncState = previous
    ? v.parse(AudienceSyncStateSchema, previous)
    : { version: 1, audiences: {} };
  const changed = definitions.map((d) => {
    const latest = d.versions.at(-1)!;
    const synced = last.audiences[d.name];
    return audienceSyncSql(db, {
      customer,
      name: d.name,
      event: d.event,
      eventKey: d.event_key,
      version: latest.version,
      asOf: latest.as_of,
      previous: synced ? { version: synced.version, asOf: synced.as_of } : undefined,
      linkedSince: linkedSince(last, synced?.as_of),
    });
  });
  // One current prediction per person and event (docs/audiences.md): from the latest scoring of each
  // event of the customer's audiences, never a Poor one (the last one synced stays), outside every
  // current holdout.
  const holdouts = definitions.map((d) => ({ name: d.name, version: d.versions.at(-1)!.version }));
  const includeAnonymous = request.anonymousPredictions ?? last.anonymous_predictions ?? false;
  const predictions: NonNullable<AudienceSyncState['predictions']> = { ...last.predictions };
  for (const d of [...new Map(definitions.map((x) => [x.event_key, x])).values()]) {
    const [latest] = await ask(latestScoringSql(db, customer, d.event_key));
    const asOf = String(latest!.d);
    const synced = last.predictions?.[d.event_key];
    if (synced?.as_of !== asOf && (await scoringVerdict(deps, customer, d, asOf))) continue;
    changed.push(
      predictionSyncSql(db, {
        customer,
        event: d.event,
        eventKey: d.event_key,
        asOf,
        previous: synced ? { asOf: synced.as_of, holdouts: synced.holdouts } : undefined,
        holdouts,
        includeAnonymous,
        linkedSince: linkedSince(last, synced?.as_of),
      }),
    );
    predictions[d.event_key] = { as_of: asOf, holdouts };
  }
  const runId = (deps.runId ?? randomUUID)();
  const prefix = audienceSyncRunPrefix(customer, runId);
  await ask(
    `UNLOAD (SELECT c.*, CAST(from_base(substr(to_hex(sha256(to_utf8(c.user_id))), 1, 8), 16) % ${AUDIENCE_SYNC_SHARDS} AS integer) AS shard FROM (${changed.map((sql, i) => `SELECT * FROM (${sql}) AS part${i}`).join(' UNION ALL ')}) c) TO ${literal(`s3://${deps.bucket}/${prefix}`)} WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['shard'])`,
  );
  const state: AudienceSyncState = {
    version: 1,
    synced_at: now,
    predictions,
    ...(includeAnonymous ? { anonymous_predictions: true } : {}),
    audiences: Object.fromEntries(
      definitions.map((d) => {
        const latest = d.versions.at(-1)!;
        return [d.name, { version: latest.version, as_of: latest.as_of }];
      }),
    ),
  };
  return {
    customer,
    runId,
    prefix,
    stateKey,
    state: JSON.stringify(state),
    timestamp: now,
    audiences: built,
  };
}

/**
 * How long after a link reaches the landing zone the curated table holds it at most: the compaction runs
 * hourly, and a live customer's curated data stays within 2 h (docs/lake.md). A day covers it with room.
 */
const CURATED_LAG_MS = 24 * 3_600_000;

/**
 * Since when a visitor's new link makes them sent again: the last sync less the curated lag (a copy sent
 * twice has the same messageId, which Segment drops). A state from before `synced_at` was kept: the
 * audience's last synced scoring date; no state: every member is sent anyway.
 */
function linkedSince(last: AudienceSyncState, syncedAsOf: string | undefined): string | undefined {
  const since =
    last.synced_at ?? (syncedAsOf === undefined ? undefined : `${syncedAsOf.slice(0, 10)}T00:00:00.000Z`);
  return since === undefined ? undefined : new Date(Date.parse(since) - CURATED_LAG_MS).toISOString();
}
