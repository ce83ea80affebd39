import { estimateCost } from '../../domain/core/cost/cost-model';

describe('the cost model', () => {
  const base = {
    events: 1e9,
    eventBytes: 1300,
    lambdaMs: 20,
    lambdaMemoryMb: 256,
    stream: false,
    streamHours: 0,
    partitionsPerRequest: 1,
    streams: 1,
    customers: 150,
    bufferSeconds: 60,
    ledgerLineBytes: 300,
    fairShareEventsPerSecond: 0,
  };
  const total = (lines: { usd: number }[]) => lines.reduce((sum, l) => sum + l.usd, 0);

  it('prices one event per request with API Gateway the largest term, the ledger record counted', () => {
    const lines = estimateCost({ ...base, perRequest: 1 });

    expect(lines.find((l) => l.service.startsWith('API Gateway'))!.usd).toBeCloseTo(1000, 0);
    // The events record and the ledger record, each billed as 5 KB.
    expect(lines.find((l) => l.service === 'Firehose ingestion (ledger)')!.usd).toBeCloseTo(
      ((1e9 * 5 * 1024) / 1024 ** 3) * 0.029,
      2,
    );
    expect(Math.max(...lines.map((l) => l.usd))).toBe(lines[0]!.usd);
  });

  it('counts what the delivery costs by the hour and by the object, against hand arithmetic', () => {
    // 2,000 customers on 2 on-demand pairs for 30 days, Firehose flushing every 60 s.
    const lines = estimateCost({
      ...base,
      perRequest: 1,
      stream: true,
      streamHours: 720,
      streams: 2,
      customers: 2_000,
    });
    const usd = (service: string) => lines.find((l) => l.service === service)!.usd;

    // 2,000 events partitions + quarantine and ledger on each of 2 pairs = 2,004 open partitions,
    // flushed 60 × 24 × 30 = 43,200 times: 86,572,800 objects.
    const objects = 2_004 * 43_200;
    expect(usd('Firehose objects delivered')).toBeCloseTo((objects / 1000) * 0.005, 6);
    expect(usd('S3 requests')).toBeCloseTo((objects / 1000) * (0.005 + 0.0004), 6);
    // 2 streams × 720 h at $0.04, and the bytes in and out: 1.3 KB per event plus a 300-byte ledger line.
    const gb = (1e9 * 1300 + 1e9 * 300) / 1024 ** 3;
    expect(usd('Kinesis on-demand')).toBeCloseTo(2 * 720 * 0.04 + gb * (0.08 + 0.04), 6);
    expect(
      estimateCost({
        ...base,
        perRequest: 1,
        stream: true,
        streamHours: 720,
        streams: 2,
        streamShards: 7,
      }).find((l) => l.service === 'Kinesis provisioned')!.usd,
    ).toBeCloseTo(2 * 7 * 720 * 0.015, 6);
    // The fair share at 1,000 events/s leases 50 at a time: at most 1e9 / 50 = 20 M writes at $0.625/M.
    expect(
      estimateCost({ ...base, perRequest: 1, fairShareEventsPerSecond: 1_000 }).find(
        (l) => l.service === 'Fair share (DynamoDB)',
      )!.usd,
    ).toBeCloseTo(12.5, 6);
  });

  it('prices the optional edge: CloudFront per request and per GB on to the API, AWS WAF per month and per request', () => {
    const lines = estimateCost({ ...base, perRequest: 1, streamHours: 730, edge: true });
    const line = (service: string) => lines.find((l) => l.service === service)!.usd;

    // 1e9 requests: $0.01 per 10,000 = $1,000, plus 1e9 × 1,300 B = 1,210.7 GiB at $0.02 = $24.21.
    expect(line('Edge: CloudFront')).toBeCloseTo(1_000 + ((1e9 * 1300) / 1024 ** 3) * 0.02, 6);
    // One month (730 h) of one web ACL ($5) and one rule ($1), and 1,000 M requests at $0.60 per million.
    expect(line('Edge: AWS WAF')).toBeCloseTo(5 + 1 + 600, 6);
    expect(estimateCost({ ...base, perRequest: 1 }).some((l) => l.service.startsWith('Edge'))).toBe(false);
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
