import type { Clock } from '../../domain/core/common/ports';

/** The machine's clock and Math.random: what every composition root gives the core outside tests. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
  timer: (ms) => {
    let handle: ReturnType<typeof setTimeout> | undefined;
    const fired = new Promise<void>((resolve) => {
      handle = setTimeout(resolve, ms);
    });
    return { fired, cancel: () => clearTimeout(handle) };
  },
};
