import { duration, progress, progressLine } from '../../cli/progress';

const recorder = (isTTY: boolean) => {
  const writes: string[] = [];
  return { stream: { isTTY, write: (t: string) => writes.push(t) }, writes };
};

describe('progress lines', () => {
  it('says done/total, percentage, rate and ETA while running', () => {
    expect(progressLine({ label: 'fuzz', unit: 'requests', done: 1250, total: 5000, elapsedMs: 2500 })).toBe(
      'fuzz: 1,250/5,000 requests (25%), 500/s, ETA 8 s',
    );
  });

  it('says the elapsed time, and no ETA, once done or without a total', () => {
    expect(progressLine({ label: 'bench', unit: 'parts', done: 4, total: 4, elapsedMs: 65_000 })).toBe(
      'bench: 4/4 parts (100%), 1 min 05 s elapsed',
    );
    expect(
      progressLine({ label: 'redrive', unit: 'records', done: 7, elapsedMs: 400, note: '1 damaged' }),
    ).toBe('redrive: 7 records, 0 s elapsed, 1 damaged');
  });

  it('counts time in seconds without a rate of seconds per second', () => {
    expect(progressLine({ label: 'soak', unit: 's', done: 30, total: 600, elapsedMs: 30_000 })).toBe(
      'soak: 30/600 s (5%), ETA 9 min 30 s',
    );
  });

  it('formats durations from seconds to hours', () => {
    expect([duration(0.4), duration(59), duration(61), duration(3_725)]).toEqual([
      '0 s',
      '59 s',
      '1 min 01 s',
      '1 h 02 min',
    ]);
  });
});

describe('progress on a stream', () => {
  it('rewrites one live line on a terminal, throttled, and ends it with a newline', () => {
    let now = 0;
    const { stream, writes } = recorder(true);
    const p = progress({
      label: 'fuzz',
      unit: 'requests',
      total: 100,
      stream,
      now: () => now,
      redrawMs: 100,
    });

    p.update(1);
    now = 50;
    p.update(2); // inside the redraw gap: not drawn
    now = 150;
    p.update(30);
    now = 2_000;
    p.update(40);
    p.finish();

    expect(writes.every((w) => w.startsWith('\r\x1b[K') || w === '\n')).toBe(true);
    expect(writes.filter((w) => w !== '\n').map((w) => w.slice(4))).toEqual([
      'fuzz: 1/100 requests (1%)',
      'fuzz: 30/100 requests (30%)',
      'fuzz: 40/100 requests (40%), 20/s, ETA 3 s',
      'fuzz: 40/100 requests (40%), 20/s, ETA 3 s',
    ]);
    expect(writes.at(-1)).toBe('\n');
  });

  it('writes plain lines at most every everyMs when not a terminal, and the final figures always', () => {
    let now = 0;
    const { stream, writes } = recorder(false);
    const p = progress({ label: 'load', unit: 's', total: 60, stream, now: () => now, everyMs: 5_000 });

    for (let s = 0; s <= 12; s++) {
      now = s * 1000;
      p.update(s);
    }
    now = 12_500;
    p.finish('done');

    expect(writes).toEqual([
      'load: 0/60 s (0%)\n',
      'load: 5/60 s (8%), ETA 55 s\n',
      'load: 10/60 s (16%), ETA 50 s\n',
      'load: 12/60 s (20%), ETA 50 s, done\n',
    ]);
    expect(writes.join('')).not.toContain('\r');
  });
});
