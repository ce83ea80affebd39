/** One side of a side-by-side measurement. */
export interface Side {
  name: string;
  /** Runs one unit of work and returns how many events it handled. */
  run: () => number | Promise<number>;
}

export interface Rate {
  name: string;
  eventsPerSecond: number;
}

/**
 * Measures two sides in alternating rounds (so drift, GC and the other core's load hit both alike) for
 * about `seconds`, after a warm-up, and returns events per second for each.
 *
 * The warm-up runs each side for a tenth of the measuring time (and at least 20 times): V8 optimizes a
 * function only after thousands of calls, and a server runs the core millions of times, so a side is
 * measured at its steady speed. Twenty runs alone measured the core's first, slower tiers on part of
 * the time (core-100 read 0.60 in a fresh process against 0.69–0.71 after a longer run).
 */
export async function sideBySide(a: Side, b: Side, seconds: number, rounds = 10): Promise<[Rate, Rate]> {
  const totals = new Map<string, { events: number; ms: number }>([
    [a.name, { events: 0, ms: 0 }],
    [b.name, { events: 0, ms: 0 }],
  ]);
  const slice = (seconds * 1000) / rounds / 2;
  const warmUpMs = (seconds * 1000) / 10;
  for (const side of [a, b]) {
    const start = performance.now();
    for (let i = 0; i < 20 || performance.now() - start < warmUpMs; i++) await side.run();
  }
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? [a, b] : [b, a]) {
      const total = totals.get(side.name)!;
      const start = performance.now();
      while (performance.now() - start < slice) total.events += await side.run();
      total.ms += performance.now() - start;
    }
  }
  return [a, b].map((side) => {
    const total = totals.get(side.name)!;
    return { name: side.name, eventsPerSecond: (total.events / total.ms) * 1000 };
  }) as [Rate, Rate];
}

/** This process's resident memory, sampled every 100 ms until stopped: the peak since the last reset. */
export function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  return {
    reset: () => {
      const was = Math.max(peak, process.memoryUsage().rss);
      peak = process.memoryUsage().rss;
      return was / 2 ** 20;
    },
    stop: () => clearInterval(timer),
  };
}
