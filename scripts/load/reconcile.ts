/** One line of the load ledger: what a request carried and how it was answered. */
export interface LoadLedgerLine {
  customerId: string;
  /** Valid messageIds sent for the first time in this request. */
  valid: string[];
  /** Messages the load made invalid on purpose (expected in quarantine). */
  invalid: string[];
  /** messageIds re-sent on purpose (Replay-style duplicates). */
  duplicates: string[];
  status: number;
}

export interface Reconciliation {
  acknowledgedMessages: number;
  distinctAcknowledged: number;
  /** Acknowledged, but not in the events lake. */
  missing: string[];
  /** In the lake more often than requests carrying them were acknowledged. */
  unexplainedDuplicates: string[];
  /** Re-sent on purpose and acknowledged again (reported, not hidden). */
  deliberateDuplicates: number;
  /** Lines of these customers in the events lake (acknowledged + deliberate duplicates when all is well). */
  landedLines: number;
  expectedQuarantined: number;
  /** Of the invalid-on-purpose messages, how many quarantine holds. */
  foundInQuarantine: number;
  /** Invalid on purpose, acknowledged, but not in quarantine. */
  missingFromQuarantine: string[];
}

/**
 * Compares what the load got 2xx answers for with what the lake holds: every acknowledged messageId
 * must be in `events` at least once and no more often than it was acknowledged; every acknowledged
 * invalid message must be in `quarantine`.
 */
export function reconcile(
  ledger: LoadLedgerLine[],
  eventIds: string[],
  quarantineIds: string[],
): Reconciliation {
  const acknowledged = new Map<string, number>();
  let deliberateDuplicates = 0;
  const invalid = new Set<string>();
  for (const entry of ledger) {
    if (entry.status < 200 || entry.status >= 300) continue;
    for (const id of entry.valid) acknowledged.set(id, (acknowledged.get(id) ?? 0) + 1);
    for (const id of new Set(entry.duplicates)) {
      acknowledged.set(id, (acknowledged.get(id) ?? 0) + 1);
      deliberateDuplicates += 1;
    }
    for (const id of entry.invalid) invalid.add(id);
  }
  const landed = new Map<string, number>();
  for (const id of eventIds) landed.set(id, (landed.get(id) ?? 0) + 1);
  const quarantined = new Set(quarantineIds);
  return {
    acknowledgedMessages: [...acknowledged.values()].reduce((a, b) => a + b, 0),
    distinctAcknowledged: acknowledged.size,
    missing: [...acknowledged.keys()].filter((id) => !landed.has(id)),
    unexplainedDuplicates: [...landed].filter(([id, n]) => n > (acknowledged.get(id) ?? 0)).map(([id]) => id),
    deliberateDuplicates,
    landedLines: eventIds.length,
    expectedQuarantined: invalid.size,
    foundInQuarantine: [...invalid].filter((id) => quarantined.has(id)).length,
    missingFromQuarantine: [...invalid].filter((id) => !quarantined.has(id)),
  };
}
