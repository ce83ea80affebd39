import { parquetReadObjects } from 'hyparquet';
import * as v from 'valibot';
import { sendBatches } from '../../adapters/segment/tracking-api';
import { AUDIENCE_GROUPS, type AudienceGroup } from '../../domain/contract/audiences';
import { CustomerIdSchema } from '../../domain/contract/formats';
import { PREDICTION_GROUP } from '../../domain/contract/sql/audience-sql';
import {
  identifyCall,
  predictionOf,
  predictionTraits,
  type Traits,
} from '../../domain/core/audiences/segment-sync';
import type { ObjectStore, SecretStore } from '../../domain/core/common/ports';

/** One item of the sending Map: a file of changed users the audience run UNLOADed. */
const SendItemSchema = v.object({
  customer: CustomerIdSchema,
  bucket: v.pipe(v.string(), v.minLength(1)),
  key: v.pipe(v.string(), v.minLength(1)),
  timestamp: v.pipe(v.string(), v.isoTimestamp()),
});

export interface SendDeps {
  objects: ObjectStore;
  /** The customers' write keys: a warm function keeps each one WRITE_KEY_CACHE_SECONDS (handler.ts). */
  secrets: SecretStore;
  writeKeySecretPrefix: string;
  host: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * How long a warm function keeps a customer's write key: a Map run asks Secrets Manager once per
 * customer instead of once per shard (64), and a rotated key is used within five minutes.
 */
export const WRITE_KEY_CACHE_SECONDS = 5 * 60;

async function writeKeyOf(deps: SendDeps, customer: string): Promise<string> {
  const key = (await deps.secrets.text(`${deps.writeKeySecretPrefix}${customer}`))?.trim();
  if (!key) throw new Error(`the Segment write key of ${customer} is empty`);
  return key;
}

/**
 * Sends one shard of a sync: each changed user's traits (the same `predictionTraits` as
 * `npm run audience -- sync`), one identify call per user with a deterministic messageId, through
 * Segment's HTTP Tracking API. A batch that still fails after its retries fails the item, so the Map
 * retries it and, failing again, fails the run: its state is then not recorded and the next run sends
 * these users again (Segment drops the copies by messageId).
 */
export async function sendShard(input: unknown, deps: SendDeps) {
  const item = v.parse(SendItemSchema, input);
  const bytes = await deps.objects.readBytes(item.bucket, item.key);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  const traits = new Map<string, Traits>();
  const anonymous = new Set<string>();
  // A visitor's user id since they signed up (the sync's link column; absent in files of runs before it).
  const linkedTo = new Map<string, string>();
  for (const r of rows) {
    if (r.anonymous === true) anonymous.add(String(r.user_id));
    if (r.anonymous === true && typeof r.linked_user_id === 'string')
      linkedTo.set(String(r.user_id), r.linked_user_id);
    const group = String(r.grp);
    const user = String(r.user_id);
    const scored =
      r.percentile == null
        ? undefined
        : { percentile: Number(r.percentile), probability: Number(r.probability) };
    // A person's one current prediction of an event (predictionSyncSql): its values, or NULL to unset it.
    if (group === PREDICTION_GROUP) {
      traits.set(user, { ...traits.get(user), ...predictionOf(String(r.event), scored) });
      continue;
    }
    if (group !== 'left' && !AUDIENCE_GROUPS.includes(group as AudienceGroup))
      throw new Error(`unknown group ${group} in ${item.key}`);
    // A membership row; files of runs before one prediction per person also carry its scoring's values.
    traits.set(user, {
      ...traits.get(user),
      ...predictionTraits(String(r.event), scored, [
        { name: String(r.audience), group: group as AudienceGroup | 'left' },
      ]),
    });
  }
  const calls = [...traits].map(([user, t]) =>
    identifyCall(item.customer, user, t, item.timestamp, anonymous.has(user), linkedTo.get(user)),
  );
  const result = await sendBatches({
    host: deps.host,
    writeKey: await writeKeyOf(deps, item.customer),
    calls,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  if (result.failed > 0)
    throw new Error(`${result.failed} of ${calls.length} users of ${item.key} not accepted by Segment`);
  return { key: item.key, users: calls.length, sent: result.sent, batches: result.batches };
}
