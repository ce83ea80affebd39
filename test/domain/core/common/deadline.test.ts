import { systemClock } from '../../../../adapters/system/clock';
import { Breaker, DEFAULT_BREAKER } from '../../../../domain/core/common/breaker';
import { BreakerOpenError, Deadline, DependencyTimeoutError } from '../../../../domain/core/common/deadline';
import { createFakeClock } from '../../../support/factories';

const never = () => new Promise<never>(() => undefined);

describe('one deadline per request', () => {
  it('passes an answer through and leaves the breaker closed', async () => {
    const clock = createFakeClock();
    const deadline = Deadline.after(clock, 1_000);
    await expect(deadline.call('sink', async () => 'stored')).resolves.toBe('stored');
  });

  it('a call that never answers is aborted at the deadline, and its signal says so', async () => {
    // Real timers: the deadline is 30 ms away and the call never answers.
    const deadline = Deadline.after(systemClock, 30);
    let signal: AbortSignal | undefined;
    const started = Date.now();
    await expect(
      deadline.call('sink', (s) => {
        signal = s;
        return never();
      }),
    ).rejects.toBeInstanceOf(DependencyTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(signal?.aborted).toBe(true);
  });

  it('gives a call its cap, or what is left minus the reserve, but never less than its floor', async () => {
    const clock = createFakeClock();
    const asked: number[] = [];
    const recording = {
      ...clock,
      timer: (ms: number) => {
        asked.push(ms);
        return { fired: never(), cancel: () => undefined };
      },
    };
    const deadline = Deadline.after(recording, 1_000);
    await deadline.call('a', async () => 1, { capMs: 150 });
    await deadline.call('b', async () => 1, { reserveMs: 250 });
    await clock.sleep(990);
    await deadline.call('c', async () => 1, { reserveMs: 250, floorMs: 250 });
    expect(asked).toEqual([150, 750, 250]);
  });

  it('with no time left and no floor, calls nothing', async () => {
    const clock = createFakeClock();
    const deadline = Deadline.after(clock, 100);
    await clock.sleep(100);
    const work = jest.fn(async () => 1);
    await expect(deadline.call('sink', work)).rejects.toBeInstanceOf(DependencyTimeoutError);
    expect(work).not.toHaveBeenCalled();
  });

  it('timeouts open the breaker; then calls are refused at once without being made', async () => {
    const clock = createFakeClock(undefined, undefined, Number.POSITIVE_INFINITY); // every timer fires
    const breaker = new Breaker(clock);
    for (let i = 0; i < DEFAULT_BREAKER.timeouts; i++)
      await expect(Deadline.after(clock, 1_000).call('sink', never, { breaker })).rejects.toBeInstanceOf(
        DependencyTimeoutError,
      );
    const work = jest.fn(never);
    await expect(Deadline.after(clock, 1_000).call('sink', work, { breaker })).rejects.toBeInstanceOf(
      BreakerOpenError,
    );
    expect(work).not.toHaveBeenCalled();
  });

  it('a call that fails fast keeps its error (the caller decides what it means)', async () => {
    const deadline = Deadline.after(createFakeClock(), 1_000);
    await expect(
      deadline.call('sink', async () => {
        throw new Error('ECONNRESET');
      }),
    ).rejects.toThrow('ECONNRESET');
  });
});
