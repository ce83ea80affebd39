import { curatedCost } from '../../../../domain/core/cost/curated-cost';

describe('what the curated table costs on AWS', () => {
  const base = {
    events: 1e9,
    customers: 2_000,
    bufferSeconds: 300,
    landingBytesPerEvent: 300,
    curatedBytesPerEvent: 543,
    runs: 720,
  };
  const usd = (lines: ReturnType<typeof curatedCost>, service: string) =>
    lines.find((l) => l.service === service)!.usd;

  it('stays within $0.10 per million events at a billion a month for 2,000 customers', () => {
    const lines = curatedCost(base);
    const total = lines.reduce((sum, l) => sum + l.usd, 0);

    expect((total / 1e9) * 1e6).toBeLessThanOrEqual(0.1);
  });

  it('counts every term by hand arithmetic', () => {
    const lines = curatedCost(base);
    // 2,000 customers × 8,640 flushes a month (every 300 s) = 17,280,000 objects; each message is sent
    // once and received and deleted in tens: 17,280,000 + 2 × 1,728,000 requests at $0.40 a million.
    expect(usd(lines, 'Object log (SQS)')).toBeCloseTo((20_736_000 / 1e6) * 0.4, 6);
    // A manifest per customer per run, and two GETs per object.
    expect(usd(lines, 'S3 requests (compaction)')).toBeCloseTo(
      (1_440_000 / 1000) * 0.005 + (34_560_000 / 1000) * 0.0004,
      6,
    );
    // Athena: the landing bytes twice, the target's key columns (a tenth of half a day's curated bytes per
    // run) and the OPTIMIZE of each customer's small files, 4 MiB on average (half the 8 MiB under
    // which a file is rewritten: a customer's month here is 271 MB); 720 runs × (1 plan + 20 MERGEs +
    // 20 OPTIMIZEs).
    const day = (1e9 / 30) * 543;
    const bytes = 2 * 1e9 * 300 + 720 * (day / 2) * 0.1 + 720 * 2_000 * 4 * 1024 ** 2;
    expect(usd(lines, 'Athena (compaction)')).toBeCloseTo((bytes / 1024 ** 4) * 5, 6);
    expect(lines.find((l) => l.service === 'Athena (compaction)')!.basis).toContain('29,520 statements');
  });

  it('costs more than twice as much with a 60 s buffer (five times the objects)', () => {
    const total = (bufferSeconds: number) =>
      curatedCost({ ...base, bufferSeconds }).reduce((s, l) => s + l.usd, 0);
    expect(total(60)).toBeGreaterThan(2 * total(300));
  });
});
