import type { PackedRecord, PutOutcome, RecordSink } from '../../domain/core/common/ports';
import { seededRandom } from '../../domain/core/common/seeded-random';

/** What goes wrong, and how often. Rates are probabilities in [0, 1]. */
export interface FaultPlan {
  /** Added to every put (ms). */
  latencyMs?: number;
  /** Each record is refused as throttled (retryable), like Kinesis's ProvisionedThroughputExceededException. */
  throttleRate?: number;
  /** The whole call fails as unavailable (every record retryable), like a 503 from the service. */
  unavailableRate?: number;
  /** The sink stores the first half of a batch, then the call dies: a crash in the middle of a batch. */
  crashRate?: number;
  /** Seed for the fault dice, so a rehearsal can be replayed. */
  seed?: number;
}

/** Thrown by an injected crash: not one of our errors, so the request is answered 500 and retried. */
class InjectedCrash extends Error {
  constructor() {
    super('injected crash in the middle of a batch');
    this.name = 'InjectedCrash';
  }
}

/**
 * Wraps a sink with injected faults, for tests and for rehearsals on the local server
 * (`FAULTS=throttle=0.3,latency=20 npm start`). Records it reports as acknowledged are really stored
 * by the inner sink; refused ones are not — so "nothing acknowledged is lost" can be checked end to end.
 */
export class FaultInjectingSink implements RecordSink {
  private roll: () => number;

  constructor(
    private readonly inner: RecordSink,
    private plan: FaultPlan = {},
    /** How latency is waited for (a test passes one that records it). */
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.roll = seededRandom(plan.seed ?? 1);
  }

  get maxRecordBytes(): number {
    return this.inner.maxRecordBytes;
  }

  /** Changes the faults at run time; `{}` clears them (recovery). */
  setPlan(plan: FaultPlan): void {
    this.plan = plan;
    this.roll = seededRandom(plan.seed ?? 1);
  }

  async put(records: readonly PackedRecord[]): Promise<PutOutcome[]> {
    const { latencyMs = 0, throttleRate = 0, unavailableRate = 0, crashRate = 0 } = this.plan;
    if (latencyMs > 0) await this.sleep(latencyMs);
    if (this.roll() < unavailableRate)
      return records.map(() => ({
        ok: false,
        retryable: true,
        throttled: true,
        code: 'ServiceUnavailableException',
      }));
    if (records.length > 0 && this.roll() < crashRate) {
      await this.inner.put(records.slice(0, Math.ceil(records.length / 2)));
      throw new InjectedCrash();
    }
    const throttled = records.map(() => this.roll() < throttleRate);
    const passed = records.filter((_, i) => !throttled[i]);
    const innerOutcomes = passed.length > 0 ? await this.inner.put(passed) : [];
    let next = 0;
    return records.map((_, i) =>
      throttled[i]
        ? { ok: false, retryable: true, throttled: true, code: 'ProvisionedThroughputExceededException' }
        : innerOutcomes[next++]!,
    );
  }
}

const KEYS: Record<string, keyof FaultPlan> = {
  latency: 'latencyMs',
  throttle: 'throttleRate',
  unavailable: 'unavailableRate',
  crash: 'crashRate',
  seed: 'seed',
};

/**
 * Reads `FAULTS`, e.g. `latency=20,throttle=0.3,unavailable=0.05,crash=0.01,seed=7`.
 *
 * @example parseFaultPlan('throttle=0.5') // { throttleRate: 0.5 }
 */
export function parseFaultPlan(text: string): FaultPlan {
  const plan: FaultPlan = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split('=');
    const key = KEYS[name ?? ''];
    const number = Number(value);
    if (
      !key ||
      value === undefined ||
      !Number.isFinite(number) ||
      number < 0 ||
      (key.endsWith('Rate') && number > 1)
    ) {
      throw new Error(
        `FAULTS: "${part}" is not one of ${Object.keys(KEYS)
          .map((k) => `${k}=<n>`)
          .join(', ')} (rates 0..1)`,
      );
    }
    plan[key] = number;
  }
  return plan;
}
