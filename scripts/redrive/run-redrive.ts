import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { systemClock } from '../../adapters/system/clock';
import { landingPrefix } from '../../domain/contract/lake-areas';
import { type StoredQuarantineEntry, StoredQuarantineEntrySchema } from '../../domain/contract/lake-records';
import type { Clock, RecordSink } from '../../domain/core/common/ports';
import { DEFAULT_RETRY_POLICY, deliver, type RetryPolicy } from '../../domain/core/ingest/deliver';
import type { TokenStore } from '../../domain/core/keys/token-store';
import { ledgerLine } from '../../domain/core/lake/lake-lines';
import { type LakeLine, packRecords } from '../../domain/core/lake/pack-records';
import { compileAliases } from '../../domain/core/messages/normalize-event-name';
import type { LakeStore } from './lake-store';
import type { PartitionPacer } from './partition-pacer';

/**
 * Redrive is no request Segment will resend: it waits out a throttled stream (up to 10 minutes per put,
 * backing off to 5 s) instead of answering at once, and fails the run only past that.
 */
const REDRIVE_RETRY_POLICY: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  budgetMs: 10 * 60_000,
  maxDelayMs: 5_000,
  throttleBudgetMs: 10 * 60_000,
  holdOnFullThrottle: true,
};

import { areaPrefix, FIREHOSE_ERRORS_PREFIX } from '../../domain/contract/lake-areas';
import { linesFromErrorObject, objectText, revalidate } from './error-records';

export interface RedriveReport {
  errorObjects: number;
  errorLines: number;
  quarantineChecked: number;
  quarantineNowValid: number;
  quarantineAlreadyRedriven: number;
  /** Lines in quarantine/ that are not quarantine entries (damaged, or not ours): left as they are. */
  quarantineUnreadable: number;
  /** Objects that could not be read at all (a damaged gzip stream): left where they are, named here. */
  unreadableObjects: string[];
}

/**
 * Puts back through the pipeline (1) every record in Firehose's error output (`errors/`), and (2)
 * every quarantined message that validates now. Idempotent: error objects are moved to `redriven/`
 * once their records are acknowledged, and redriven quarantine entries are remembered, so a second run
 * sends nothing again; and every record keeps its messageId, so no run adds a new distinct one.
 *
 * The completeness ledger stays exact: records from errors/ keep the request id they were acknowledged
 * under (their request's ledger line already counts them), and the quarantined messages redriven from
 * one object get a request id of this run and a ledger line (source `redrive`) that counts them.
 */
export async function runRedrive(
  store: LakeStore,
  sink: RecordSink,
  tokens: TokenStore,
  options: {
    quarantine: boolean;
    /** Told after each object, with how many objects the run has to read in all. */
    onProgress?: (objectsDone: number, objectsTotal: number) => void;
    /** Paces the partitions it opens; none: as fast as the sink takes them (locally). */
    pacer?: PartitionPacer;
    clock?: Clock;
  } = { quarantine: true },
): Promise<RedriveReport> {
  const clock = options.clock ?? systemClock;
  const report: RedriveReport = {
    errorObjects: 0,
    errorLines: 0,
    quarantineChecked: 0,
    quarantineNowValid: 0,
    quarantineAlreadyRedriven: 0,
    quarantineUnreadable: 0,
    unreadableObjects: [],
  };
  const runId = randomUUID();
  let redriveRequests = 0;
  // One landing partition at a time, each opened only when the pacer allows it, and delivered patiently:
  // a throttled stream is waited for, since nobody resends what redrive gives up on.
  const put = async (lines: LakeLine[]) => {
    const byPartition = new Map<string, LakeLine[]>();
    for (const line of lines) {
      const key = landingPrefix(line.area, line.customerId, line.dt);
      byPartition.set(key, [...(byPartition.get(key) ?? []), line]);
    }
    for (const [partition, group] of byPartition) {
      await options.pacer?.take(partition);
      await deliver(packRecords(group, sink.maxRecordBytes), sink, REDRIVE_RETRY_POLICY, clock);
    }
  };

  const errorKeys = await store.list(areaPrefix(FIREHOSE_ERRORS_PREFIX));
  const quarantineKeys = options.quarantine ? await store.list(areaPrefix('quarantine')) : [];
  const total = errorKeys.length + quarantineKeys.length;
  let objectsDone = 0;
  const tick = () => options.onProgress?.(++objectsDone, total);

  // A damaged object (a broken gzip stream, a line that is not JSON) is its own problem: left where it
  // is and named, and the others go on. Only its decoding is caught: a read that fails (S3 throttling,
  // the network) fails the run, which is retried, and never reads as a damaged object.
  const decoded = async <T>(key: string, decode: (bytes: Buffer) => T): Promise<T | undefined> => {
    const bytes = await store.read(key);
    try {
      return decode(bytes);
    } catch {
      report.unreadableObjects.push(key);
      tick();
      return undefined;
    }
  };

  for (const key of errorKeys) {
    const lines = await decoded(key, linesFromErrorObject);
    if (!lines) continue;
    await put(lines);
    await store.move(key, `redriven/${key}`);
    report.errorObjects += 1;
    report.errorLines += lines.length;
    tick();
  }

  if (options.quarantine) {
    const done = new Set(await store.readState());
    const aliases = new Map<string, ReadonlyMap<string, string>>();
    for (const key of quarantineKeys) {
      // Parsed with the contract's schema: a line that is not a quarantine entry is counted, not redriven.
      const text = await decoded(key, objectText);
      if (text === undefined) continue;
      const entries = text
        .split('\n')
        .filter(Boolean)
        .map((l) => parseEntry(l));
      const now: LakeLine[] = [];
      const ids: string[] = [];
      redriveRequests += 1;
      const requestId = `redrive-${runId}-${redriveRequests}`;
      for (const [i, entry] of entries.entries()) {
        report.quarantineChecked += 1;
        if (!entry) {
          report.quarantineUnreadable += 1;
          continue;
        }
        const id = `${key}#${i}`;
        if (done.has(id)) {
          report.quarantineAlreadyRedriven += 1;
          continue;
        }
        if (!aliases.has(entry.customer_id))
          aliases.set(
            entry.customer_id,
            compileAliases((await tokens.getCustomer(entry.customer_id))?.eventAliases),
          );
        const line = revalidate(entry, aliases.get(entry.customer_id)!, requestId);
        if (!line) continue;
        now.push(line);
        ids.push(id);
      }
      await put(now);
      // One quarantine object holds one customer's partition: one ledger line counts what it gave back.
      if (now.length > 0)
        await put([
          ledgerLine(
            now[0]!.customerId,
            requestId,
            clock.now(),
            200,
            {
              accepted: new Set(now.map((l) => l.spreadKey)).size, // spreadKey: the messageId
              quarantined: 0,
              duplicates: 0,
            },
            'redrive',
          ),
        ]);
      for (const id of ids) done.add(id);
      report.quarantineNowValid += ids.length;
      if (ids.length > 0) await store.writeState([...done]);
      tick();
    }
  }
  return report;
}

function parseEntry(line: string): StoredQuarantineEntry | undefined {
  try {
    const result = v.safeParse(StoredQuarantineEntrySchema, JSON.parse(line));
    return result.success ? result.output : undefined;
  } catch {
    return undefined;
  }
}
