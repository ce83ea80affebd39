import type { Clock } from '../../domain/core/common/ports';

/**
 * Keeps redrive within the share of each Firehose stream's active-partition quota the stack reserves
 * for it (`redrivePartitions`, domain/contract/delivery-capacity.ts): at most `budget` distinct
 * partitions opened per window, the window being as long as a partition can stay active (1.5 × the
 * buffer interval). A partition already opened in the window costs nothing more.
 */
export class PartitionPacer {
  private windowStart: number;
  private readonly open = new Set<string>();
  /** Milliseconds spent waiting for a window to pass. */
  waitedMs = 0;

  constructor(
    private readonly budget: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {
    if (!(budget >= 1)) throw new RangeError('a redrive partition budget must be at least 1');
    this.windowStart = clock.now();
  }

  /** Resolves when opening `partition` keeps the window within the budget. */
  async take(partition: string): Promise<void> {
    if (this.clock.now() - this.windowStart >= this.windowMs) this.reset();
    if (this.open.has(partition)) return;
    if (this.open.size >= this.budget) {
      const wait = this.windowStart + this.windowMs - this.clock.now();
      await this.clock.sleep(wait);
      this.waitedMs += wait;
      this.reset();
    }
    this.open.add(partition);
  }

  private reset(): void {
    this.windowStart = this.clock.now();
    this.open.clear();
  }
}
