import { readFileSync } from 'node:fs';

/** Resident memory of a process (MiB), from /proc; undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Unbounded growth: after the first fifth (warm-up), the last quarter's mean is more than 50% and more
 * than 64 MiB above the first quarter's. Steady state, caches filling once and GC sawtooth pass.
 */
export function memoryGrowth(samples: number[]): { grew: boolean; firstMiB: number; lastMiB: number } {
  const steady = samples.slice(Math.floor(samples.length / 5));
  const quarter = Math.max(1, Math.floor(steady.length / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const firstMiB = mean(steady.slice(0, quarter));
  const lastMiB = mean(steady.slice(-quarter));
  return {
    grew: steady.length >= 8 && lastMiB > firstMiB * 1.5 && lastMiB - firstMiB > 64,
    firstMiB,
    lastMiB,
  };
}
