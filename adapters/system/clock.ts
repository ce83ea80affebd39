import type { Clock } from '../../domain/core/common/ports';

/** The machine's clock and Math.random: what every composition root gives the core outside tests. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
  after: (ms, cancel) =>
    new Promise((resolve) => {
      if (cancel.aborted) return;
      const timer = setTimeout(resolve, ms);
      cancel.addEventListener('abort', () => clearTimeout(timer), { once: true });
    }),
};
