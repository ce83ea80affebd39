import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { jsonLogger } from '../../adapters/system/json-logger';
import { createToken } from '../../domain/core/keys/token-admin';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { type IntentReport, runIntent } from '../../scripts/intent/run-intent';
import { simulateJourneys } from '../../scripts/simulate/journeys';
import { sendBatches } from '../../scripts/simulate/send';
import { tempDataDir } from '../support/local-destination';

// The models on populations that are not the happy path, through the same HTTP path, compaction and
// intent run as intent.test.ts: one without any signal, one whose signal is an interaction. 7,000
// simulated users (~40 s on 2 cores), so a slow test: `npm run test:slow`, which .ci/run runs.
const END = '2026-03-31';

describe('intent models on populations without a signal, and with an interaction', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let withoutSignal: IntentReport;
  let withInteraction: IntentReport;

  beforeAll(async () => {
    dataDir = tempDataDir('intent-models-');
    const lake = join(dataDir, 'lake');
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('intent-models'),
      flushIntervalMs: 200,
    });
    for (const [customer, signal, seed, users] of [
      // Without the signal conversions are rarer: 4,000 users give the 50 a model needs at least.
      ['flat', 'none', 8, 4_000],
      ['mixed', 'interaction', 9, 3_000],
    ] as const) {
      const key = (await createToken(new FileTokenStore(dataDir), customer, new Date(`${END}T00:00:00Z`)))
        .token;
      const messages = simulateJourneys({ customer, users, days: 60, seed, signal, end: END });
      const sent = await sendBatches(destination.url, key, messages);
      expect(sent).toMatchObject({ accepted: messages.length, refused: 0 });
    }
    await destination.flush();
    await runCompaction({ lakeRoot: lake });
    withoutSignal = await runIntent({ lakeRoot: lake, customer: 'flat', event: 'Sign Up' });
    withInteraction = await runIntent({ lakeRoot: lake, customer: 'mixed', event: 'signed_up' });
  }, 240_000);
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds nothing where nothing was planted: AUC within 0.5 ± 0.07, and says not to use it', () => {
    expect(withoutSignal.eventKey).toBe('signedup');
    expect(Math.abs(withoutSignal.validationAuc - 0.5)).toBeLessThanOrEqual(0.07);
    expect(withoutSignal.quality).toMatchObject({ grade: 'Poor', recommended: false });
  });

  it('finds an interaction the linear model misses: the trees beat it by ≥ 0.05 AUC', () => {
    const aucOf = (kind: string) => withInteraction.models.find((m) => m.name.includes(kind))!.auc;

    expect(aucOf('trees') - aucOf('logistic')).toBeGreaterThanOrEqual(0.05);
    expect(withInteraction.chosen).toBe('gradient-boosted trees');
  });
});
