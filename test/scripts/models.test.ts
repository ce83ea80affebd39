import { estimateCost } from '../../scripts/cost/cost-model';

describe('the cost model', () => {
  const base = {
    events: 1e9,
    eventBytes: 1300,
    lambdaMs: 20,
    lambdaMemoryMb: 256,
    stream: false,
    streamHours: 0,
    partitionsPerRequest: 1,
  };
  const total = (lines: { usd: number }[]) => lines.reduce((sum, l) => sum + l.usd, 0);

  it('prices one event per request like the steering document (about $1.4k per billion, API Gateway the largest term)', () => {
    const lines = estimateCost({ ...base, perRequest: 1 });

    expect(lines.find((l) => l.service.startsWith('API Gateway'))!.usd).toBeCloseTo(1000, 0);
    expect(total(lines)).toBeGreaterThan(1300);
    expect(total(lines)).toBeLessThan(1500);
    expect(Math.max(...lines.map((l) => l.usd))).toBe(lines[0]!.usd);
  });

  it('makes packed 100-event requests an order of magnitude cheaper, and adds Kinesis when asked', () => {
    const packed = estimateCost({ ...base, perRequest: 100 });
    const withStream = estimateCost({ ...base, perRequest: 100, stream: true, streamHours: 720 });

    expect(total(packed)).toBeLessThan(100);
    expect(total(withStream) - total(packed)).toBeGreaterThan(150);
  });

  it('bills Firehose records rounded up to 5 KB', () => {
    const single = estimateCost({ ...base, events: 1e6, perRequest: 1 }).find(
      (l) => l.service === 'Firehose ingestion',
    )!;
    expect(single.usd).toBeCloseTo(((1e6 * 5 * 1024) / 1024 ** 3) * 0.029, 5);
  });
});
