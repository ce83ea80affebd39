/**
 * Calls `probe` until `done(value)` holds or the deadline passes, and returns the last value — so the
 * test's own assertion reports what was seen. Replaces fixed sleeps (too short on a busy machine,
 * wasted on an idle one) and deadline-less busy waits.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await probe();
  }
  return value;
}
