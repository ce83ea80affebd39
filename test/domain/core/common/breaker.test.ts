import { Breaker, DEFAULT_BREAKER } from '../../../../domain/core/common/breaker';

function clockAt(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('a breaker per dependency', () => {
  it('stays closed through fewer timeouts than its threshold within the window', () => {
    const clock = clockAt();
    const breaker = new Breaker(clock);
    for (let i = 0; i < DEFAULT_BREAKER.timeouts - 1; i++) {
      breaker.timedOut();
      clock.advance(1_000);
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.admit()).toBe(true);
  });

  it('opens at its threshold of timeouts within the window, and then admits nothing', () => {
    const clock = clockAt();
    const breaker = new Breaker(clock);
    for (let i = 0; i < DEFAULT_BREAKER.timeouts; i++) breaker.timedOut();
    expect(breaker.state).toBe('open');
    expect(breaker.admit()).toBe(false);
    clock.advance(DEFAULT_BREAKER.openMs - 1);
    expect(breaker.admit()).toBe(false);
  });

  it('forgets timeouts older than the window', () => {
    const clock = clockAt();
    const breaker = new Breaker(clock);
    for (let i = 0; i < DEFAULT_BREAKER.timeouts; i++) {
      breaker.timedOut();
      clock.advance(DEFAULT_BREAKER.windowMs / (DEFAULT_BREAKER.timeouts - 1) + 1);
    }
    expect(breaker.state).toBe('closed');
  });

  it('after the open period lets exactly one probe through; its answer closes the breaker', () => {
    const clock = clockAt();
    const breaker = new Breaker(clock);
    for (let i = 0; i < DEFAULT_BREAKER.timeouts; i++) breaker.timedOut();
    clock.advance(DEFAULT_BREAKER.openMs);
    expect(breaker.admit()).toBe(true);
    expect(breaker.state).toBe('probing');
    expect(breaker.admit()).toBe(false); // one probe at a time
    breaker.succeeded();
    expect(breaker.state).toBe('closed');
    expect(breaker.admit()).toBe(true);
  });

  it('a probe that times out, or fails fast, opens it for another full period', () => {
    for (const ending of ['timedOut', 'failed'] as const) {
      const clock = clockAt();
      const breaker = new Breaker(clock);
      for (let i = 0; i < DEFAULT_BREAKER.timeouts; i++) breaker.timedOut();
      clock.advance(DEFAULT_BREAKER.openMs);
      expect(breaker.admit()).toBe(true);
      breaker[ending]();
      expect(breaker.state).toBe('open');
      clock.advance(DEFAULT_BREAKER.openMs - 1);
      expect(breaker.admit()).toBe(false);
      clock.advance(1);
      expect(breaker.admit()).toBe(true);
    }
  });

  it('answers between timeouts do not hide them: three within the window open it', () => {
    const clock = clockAt();
    const breaker = new Breaker(clock);
    for (let i = 0; i < DEFAULT_BREAKER.timeouts; i++) {
      if (i > 0) breaker.succeeded();
      breaker.timedOut();
      clock.advance(1_000);
    }
    expect(breaker.state).toBe('open');
  });

  it('fast failures while closed do not count toward opening (they hold nothing)', () => {
    const breaker = new Breaker(clockAt());
    for (let i = 0; i < 10 * DEFAULT_BREAKER.timeouts; i++) breaker.failed();
    expect(breaker.state).toBe('closed');
  });
});
