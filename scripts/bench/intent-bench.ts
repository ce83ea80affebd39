import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { silentLogger } from '../../adapters/system/json-logger';
import { createToken } from '../../domain/core/keys/token-admin';
import { startLocalServer } from '../../local/local-server';
import { runCompaction } from '../compact/run-compaction';
import { runIntent } from '../intent/run-intent';
import { simulateJourneys } from '../simulate/journeys';
import { sendBatches } from '../simulate/send';

export interface IntentStage {
  stage: string;
  seconds: number;
  peakRssMiB: number;
  detail: string;
}

export interface IntentBenchResult {
  users: number;
  days: number;
  stages: IntentStage[];
  validationAuc: number;
}

/** Runs `work`, sampling this process's resident memory every 200 ms: its time and its peak. */
async function stage<T>(
  name: string,
  work: () => Promise<T>,
  detail: (t: T) => string,
): Promise<[T, IntentStage]> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 200);
  const started = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return [
      result,
      {
        stage: name,
        seconds: (performance.now() - started) / 1000,
        peakRssMiB: peak / 2 ** 20,
        detail: detail(result),
      },
    ];
  } finally {
    clearInterval(sampler);
  }
}

/**
 * `npm run bench -- --only intent`: the predict walk-through at scale — simulate (`users` × `days`,
 * through the HTTP API of a local destination in this process), compact, intent — with each stage's
 * time and this process's peak resident memory (the server, DuckDB and the models all live in it).
 */
export async function benchIntent(
  users: number,
  days = 60,
  onStep: (s: string) => void = () => {},
): Promise<IntentBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-intent-'));
  const lake = join(dataDir, 'lake');
  const destination = await startLocalServer({ dataDir, port: 0, logger: silentLogger });
  try {
    const key = (await createToken(new FileTokenStore(dataDir), 'demo', new Date())).token;
    onStep(`simulating ${users.toLocaleString('en-US')} users × ${days} days`);
    const [sent, simulate] = await stage(
      'simulate (through HTTP)',
      async () => {
        const messages = simulateJourneys({
          customer: 'demo',
          users,
          days,
          seed: 7,
          signal: 'pricing',
          end: '2026-03-31',
        });
        const report = await sendBatches(destination.url, key, messages);
        await destination.flush();
        return { messages: messages.length, ...report };
      },
      (r) => `${r.messages.toLocaleString('en-US')} messages, ${r.requests.toLocaleString('en-US')} requests`,
    );
    if (sent.refused > 0) throw new Error(`${sent.refused} messages refused`);
    onStep('compacting');
    const [, compact] = await stage(
      'compact',
      () => runCompaction({ lakeRoot: lake }),
      (r) => `${r.linesRead.toLocaleString('en-US')} lines, ${r.partitionsRewritten} partitions`,
    );
    onStep('scoring');
    const [report, intent] = await stage(
      'intent',
      () => runIntent({ lakeRoot: lake, customer: 'demo', event: 'signed_up' }),
      (r) =>
        `${r.training.users.toLocaleString('en-US')} trained${r.training.sampledFrom ? ` (of ${r.training.sampledFrom.toLocaleString('en-US')})` : ''}, ${r.scored.users.toLocaleString('en-US')} scored, ${r.chosen}`,
    );
    return { users, days, stages: [simulate, compact, intent], validationAuc: report.validationAuc };
  } finally {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
