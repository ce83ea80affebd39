import type { FairShareCounter } from '../../../domain/core/ingest/fair-share';

/** The shared fair-share count in memory: what several ingest instances in one process (tests) share. */
export class MemoryFairShareCounter implements FairShareCounter {
  readonly counts = new Map<string, number>();
  calls = 0;

  async lease(customerId: string, window: number, amount: number, limit: number): Promise<boolean> {
    this.calls += 1;
    const key = `${customerId}#${window}`;
    const now = this.counts.get(key) ?? 0;
    if (now + amount > limit) return false;
    this.counts.set(key, now + amount);
    return true;
  }
}
