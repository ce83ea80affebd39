import { createHmac } from 'node:crypto';
import type { ErasureEntry } from '../../contract/erasure';
import type { ErasedFilter } from './erasure-log';

/**
 * The keyed hash that stands for an erased id in the audit: HMAC-SHA-256 under the destination's audit
 * key, over the customer and the id, so the same id of two customers hashes apart and nobody without
 * the key can test guesses against the audit.
 *
 * @example userHash(key, 'acme', 'u1').length // 64
 */
export function userHash(key: Buffer, customerId: string, id: string): string {
  return createHmac('sha256', key).update(customerId).update('\u0000').update(id).digest('hex');
}

/**
 * The drop-on-arrival filter of one customer's entries: their users (and, once executed, the linked
 * anonymous ids) with the cut-off of each; undefined when the customer has none.
 */
export function erasedFilterOf(
  entries: readonly ErasureEntry[],
  hash: (id: string) => string,
): ErasedFilter | undefined {
  const cutoffs = new Map<string, number>();
  const keep = (h: string, cutoff: number) => cutoffs.set(h, Math.max(cutoffs.get(h) ?? cutoff, cutoff));
  for (const entry of entries) {
    const cutoff = Date.parse(entry.cutoff_at);
    keep(entry.user_hash, cutoff);
    for (const linked of entry.linked_hashes ?? []) keep(linked, cutoff);
  }
  if (cutoffs.size === 0) return undefined;
  const erased = (id: string) => {
    const cutoff = cutoffs.get(hash(id));
    return (receivedAtMs: number) => cutoff !== undefined && receivedAtMs <= cutoff;
  };
  // As the pass decides (ErasureMatcher): a message with a user id is that user's; a linked anonymous id
  // drops only anonymous-only messages, so another user's resends on a shared device are kept.
  return (userId, anonymousId, receivedAtMs) => {
    if (userId !== null && userId.length > 0) return erased(userId)(receivedAtMs);
    return anonymousId !== null && anonymousId.length > 0 && erased(anonymousId)(receivedAtMs);
  };
}
