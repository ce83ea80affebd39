import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pMap from 'p-map';
import { xoroshiro128plus } from 'pure-rand';
import { FaultInjectingSink, type FaultPlan } from '../../adapters/faults/fault-injecting-sink';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import type { Logger } from '../../domain/core/common/ports';
import { createToken } from '../../domain/core/keys/token-admin';
import { authorizationFor } from '../../domain/core/keys/tokens';
import { startLocalServer } from '../../local/local-server';
import { readLake } from '../../local/read-lake';
import { createRequestGenerator } from './request-generators';

export interface FuzzOptions {
  requests: number;
  seed: number;
  concurrency?: number;
  faults?: FaultPlan;
  logger: Logger;
  /** Told of the requests done so far, every `progressEvery` requests (a progress line on stderr). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  /** kind → status → count */
  outcomes: Record<string, Record<string, number>>;
  /** 5xx answers that are not the 503 a sink fault may cause: always our bug. */
  ourServerErrors: number;
  acknowledgedValid: number;
  /** Acknowledged valid messageIds missing from the events lake. */
  lost: string[];
  /** messageIds in the lake more than once (expected only after injected crashes and resends). */
  duplicated: string[];
  landedEvents: number;
  quarantined: number;
}

/**
 * Sends a seeded mix of valid and hostile requests to a fresh local destination on loopback, then
 * reconciles the lake: every acknowledged valid messageId must have landed.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fuzz-'));
  const { faults } = options;
  const destination = await startLocalServer({
    dataDir,
    port: 0,
    logger: options.logger,
    flushIntervalMs: 250,
    ...(faults ? { wrapSink: (sink) => new FaultInjectingSink(sink, faults) } : {}),
  });
  try {
    const { token } = await createToken(new FileTokenStore(dataDir), 'fuzz', new Date());
    // fast-check's own generator (xoroshiro128+, seeded), the one the property tests draw from.
    const rng = new fc.Random(xoroshiro128plus(options.seed));
    const random = () => rng.nextDouble();
    const next = createRequestGenerator(random, authorizationFor(token), `fuzz${options.seed}`);
    const outcomes: FuzzReport['outcomes'] = {};
    const acknowledged = new Set<string>();
    let ourServerErrors = 0;
    let done = 0;
    // Requests are made one by one as a slot frees (p-map pulls the iterable lazily): a million-request
    // run never holds more than `concurrency` of them.
    const requests = (function* () {
      for (let i = 0; i < options.requests; i++) yield next();
    })();
    const one = async (request: ReturnType<typeof next>) => {
      const response = await fetch(`${destination.url}${request.path}`, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      await response.arrayBuffer();
      done += 1;
      if (options.onProgress && done % (options.progressEvery ?? 250) === 0)
        options.onProgress(done, options.requests);
      const byStatus = outcomes[request.kind] ?? {};
      outcomes[request.kind] = byStatus;
      byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
      // 501 is the contract's answer to an unsupported type. Injected faults explain a 503 (budget
      // spent) and, with crashes, a 500; any other 5xx is ours.
      const injected =
        (response.status === 503 && faults) || (response.status === 500 && (faults?.crashRate ?? 0) > 0);
      if (response.status >= 500 && response.status !== 501 && !injected) ourServerErrors += 1;
      if (response.status >= 200 && response.status < 300)
        for (const id of request.validIds) acknowledged.add(id);
    };
    await pMap(requests, one, { concurrency: options.concurrency ?? 4 });
    await destination.flush();

    const landed = readLake(join(dataDir, 'lake'), 'events').map((line) => line.record.message_id as string);
    const counts = new Map<string, number>();
    for (const id of landed) counts.set(id, (counts.get(id) ?? 0) + 1);
    return {
      seed: options.seed,
      requests: options.requests,
      outcomes,
      ourServerErrors,
      acknowledgedValid: acknowledged.size,
      lost: [...acknowledged].filter((id) => !counts.has(id)),
      duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
      landedEvents: landed.length,
      quarantined: readLake(join(dataDir, 'lake'), 'quarantine').length,
    };
  } finally {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The report as a short table for people. */
export function formatFuzzReport(report: FuzzReport): string {
  const statuses = [
    ...new Set(Object.values(report.outcomes).flatMap((byStatus) => Object.keys(byStatus))),
  ].sort();
  const rows = Object.entries(report.outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([kind, byStatus]) =>
        `${kind.padEnd(16)}${statuses.map((s) => String(byStatus[s] ?? '').padStart(6)).join('')}`,
    );
  return [
    `fuzz: ${report.requests} requests, seed ${report.seed}`,
    `${'kind'.padEnd(16)}${statuses.map((s) => s.padStart(6)).join('')}`,
    ...rows,
    '',
    `acknowledged valid messages: ${report.acknowledgedValid}; landed events: ${report.landedEvents}; quarantined: ${report.quarantined}`,
    `lost: ${report.lost.length}; duplicated: ${report.duplicated.length}; our 5xx: ${report.ourServerErrors}`,
  ].join('\n');
}
