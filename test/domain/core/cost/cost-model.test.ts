import { ASSUMED, estimateCost, type Measured, type Traffic } from '../../../../domain/core/cost/cost-model';
import type { FunctionFacts, StackFacts } from '../../../../domain/core/cost/template-facts';

const GB = 1024 ** 3;

/** A stack as a template describes it: what the model reads, written out by hand. */
function stack(overrides: Partial<StackFacts> = {}): StackFacts {
  const group = (id: string, infrequentAccess = false) => ({ id, retentionDays: 90, infrequentAccess });
  const fn = (id: string, memoryMb: number, environment: Record<string, unknown> = {}): FunctionFacts => ({
    id,
    memoryMb,
    arm64: true,
    platformLinesDropped: true,
    logGroup: group(`${id}Logs`),
    environment,
  });
  return {
    ingest: fn('Ingest', 512, { ERASURE_TABLE: { Ref: 'Erasure' }, FAIR_SHARE_EVENTS_PER_SECOND: '1000' }),
    authorizer: fn('Authorizer', 256),
    authorizerCacheSeconds: 300,
    accessLog: group('Access', true),
    accessLogFormat: '',
    functions: [],
    logGroups: [],
    streams: { count: 2, provisionedShards: undefined },
    firehose: { count: 2, bufferSeconds: 300, dynamicPartitioning: true, jq: true },
    tables: [],
    stateMachines: [
      { id: 'CuratedStateMachine', states: 30, runsPerMonth: 720 },
      { id: 'ErasureStateMachine', states: 40, runsPerMonth: 720 },
    ],
    alarms: 100,
    dashboards: 1,
    kmsKeys: 1,
    secrets: 1,
    edge: false,
    lakeTransitionDays: 90,
    lakeExpireDays: undefined,
    ...overrides,
  };
}

const traffic: Traffic = {
  events: 1e9,
  perRequest: 1,
  eventBytes: 1300,
  customers: 2000,
  keysPerCustomer: 1,
  days: 30,
  historyMonths: 12,
};

const measured: Measured = {
  coreMs: 1,
  sinkCallsPerRequest: 2,
  recordBytes: [1900, 300],
  ingestLineBytes: 600,
  authorizerLineBytes: 500,
  metricsWriteBytes: 650,
  metricsWriteLines: 2,
  accessLineBytes: 185,
};

const line = (lines: { service: string; usd: number }[], service: string) => {
  const found = lines.find((l) => l.service === service);
  if (!found) throw new Error(`no line ${service}: ${lines.map((l) => l.service).join(', ')}`);
  return found.usd;
};

describe('the cost model, line by line against hand arithmetic from the price table', () => {
  const { lines, ingestMs, logging, total } = estimateCost(stack(), traffic, measured);
  const seconds = 30 * 86_400;
  const rps = 1e9 / seconds;
  // The filter: λ = requests/s per customer per instance; a share 1/(1 + 60 λ) of requests query. The
  // instances busy depend on the duration, which depends on that share.
  let ms = 1 + 2 * 10;
  let share = 0;
  for (let i = 0; i < 3; i++) {
    const concurrency = Math.max(1, rps * (ms / 1000));
    share = 1 / (1 + (rps / (concurrency * 2000)) * 60);
    ms = 1 + 20 + share * 5;
  }

  it('bills API Gateway in tiers: the first 300 M requests at $1.00 per million, the rest at $0.90', () => {
    expect(line(lines, 'API Gateway (HTTP API)')).toBeCloseTo(300 + 700 * 0.9, 6);
    // A 100-event batch of 1.3 KB events is one 512 KB unit: a tenth of the requests, a tenth of the price.
    const batched = estimateCost(stack(), { ...traffic, perRequest: 100 }, measured).lines;
    expect(line(batched, 'API Gateway (HTTP API)')).toBeCloseTo(10, 6);
  });

  it('bills the ingest function for its core, two puts and the erasure filter’s share of queries', () => {
    expect(ingestMs).toBe(Math.ceil(ms));
    expect(line(lines, 'Lambda (ingest)')).toBeCloseTo(
      200 + 1e9 * (Math.ceil(ms) / 1000) * 0.5 * 0.0000133334,
      6,
    );
    // DynamoDB: those queries and the authorizer's two reads a call at half a unit, lastUsedAt at one.
    const calls = (2000 * seconds) / 300;
    const reads = 0.5 * (1e9 * share + 2 * calls);
    expect(line(lines, 'DynamoDB')).toBeCloseTo((reads / 1e6) * 0.125 + (calls / 1e6) * 0.625, 6);
    expect(line(lines, 'Lambda (authorizer)')).toBeCloseTo(
      (calls / 1e6) * 0.2 + calls * (Math.ceil(1 + 10 + 5) / 1000) * 0.25 * 0.0000133334,
      6,
    );
  });

  it('bills Kinesis per stream-hour and per record rounded up to 1 KB, Firehose per record rounded up to 5 KB', () => {
    const outGb = (1e9 * 2200) / GB;
    expect(line(lines, 'Kinesis on-demand')).toBeCloseTo(
      2 * 720 * 0.04 + ((1e9 * (2048 + 1024)) / GB) * 0.08 + outGb * 0.04,
      6,
    );
    expect(line(lines, 'Firehose ingestion')).toBeCloseTo(((2e9 * 5120) / GB) * 0.029, 6);
    // Dynamic partitioning: the bytes, and JQ's hours at 10,000 records a second.
    expect(line(lines, 'Firehose dynamic partitioning')).toBeCloseTo(
      outGb * 0.02 + (2e9 / 10_000 / 3600) * 0.07,
      6,
    );
    // 2,000 customers and the quarantine and ledger partitions of 2 streams, flushed every 300 s.
    const objects = ((2000 + 2 * 2) * seconds) / 300;
    expect(line(lines, 'Firehose objects delivered')).toBeCloseTo((objects / 1000) * 0.005, 6);
    expect(line(lines, 'S3 requests (delivery)')).toBeCloseTo((objects / 1000) * 0.005, 6);
    const provisioned = estimateCost(
      stack({ streams: { count: 2, provisionedShards: 7 } }),
      traffic,
      measured,
    );
    expect(line(provisioned.lines, 'Kinesis provisioned')).toBeCloseTo(2 * 7 * 720 * 0.015, 6);
  });

  it('bills every log line with its 26 bytes of metadata, at the class of its group', () => {
    const concurrency = rps * (ms / 1000);
    const writes = (concurrency * seconds) / 10;
    const ingestBytes = 1e9 * 0.01 * (600 + 26) + writes * (650 + 2 * 26);
    expect(line(lines, 'CloudWatch Logs (ingest function)')).toBeCloseTo((ingestBytes / GB) * 0.5, 6);
    expect(line(lines, 'CloudWatch Logs (access log)')).toBeCloseTo(((1e9 * (185 + 26)) / GB) * 0.25, 6);
    // A Standard access log costs twice as much; platform lines, when Lambda writes them, 3 a call.
    const standard = estimateCost(
      stack({ accessLog: { id: 'A', retentionDays: 90, infrequentAccess: false } }),
      traffic,
      measured,
    );
    expect(line(standard.lines, 'CloudWatch Logs (access log)')).toBeCloseTo(((1e9 * 211) / GB) * 0.5, 6);
    const text = stack();
    text.ingest = { ...text.ingest, platformLinesDropped: false };
    expect(
      line(estimateCost(text, traffic, measured).lines, 'CloudWatch Logs (ingest function)') -
        line(lines, 'CloudWatch Logs (ingest function)'),
    ).toBeCloseTo(((1e9 * (430 + 3 * 26)) / GB) * 0.5, 6);
    expect(logging.usd).toBeCloseTo(
      lines.filter((l) => l.service.startsWith('CloudWatch Logs')).reduce((sum, l) => sum + l.usd, 0),
      9,
    );
  });

  it('bills the jobs’ transitions, alarms, dashboards, keys and storage by zone', () => {
    // Curated: 720 runs × 30 states × (1 + 20 MERGE items); erasure: 720 × 40.
    const transitions = 720 * 30 * 21 + 720 * 40;
    expect(line(lines, 'Step Functions')).toBeCloseTo((transitions / 1000) * 0.025, 6);
    const months = 720 / 730;
    expect(line(lines, 'CloudWatch alarms and dashboards')).toBeCloseTo((100 * 0.1 + 3) * months, 6);
    expect(line(lines, 'KMS and Secrets Manager')).toBeCloseTo((1 + 0.4) * months, 6);
    // 12 months of 300 B an event: 3 in Standard, 9 in Standard-IA.
    expect(line(lines, 'S3 storage (landing)')).toBeCloseTo(((1e9 * 300) / GB) * (3 * 0.023 + 9 * 0.0125), 6);
    // A lake that deletes after 180 days holds 6 months, whatever the history.
    const expiring = estimateCost(stack({ lakeExpireDays: 180 }), traffic, measured).lines;
    expect(line(expiring, 'S3 storage (landing)')).toBeCloseTo(
      ((1e9 * 300) / GB) * (3 * 0.023 + 3 * 0.0125),
      6,
    );
  });

  it('adds the curated job and sums every line', () => {
    expect(lines.filter((l) => l.service.startsWith('Curated job:')).length).toBeGreaterThanOrEqual(4);
    expect(total).toBeCloseTo(
      lines.reduce((sum, l) => sum + l.usd, 0),
      9,
    );
  });

  it('prices the optional edge only when the template has it', () => {
    expect(lines.some((l) => l.service.startsWith('Edge'))).toBe(false);
    const edge = estimateCost(stack({ edge: true }), traffic, measured).lines;
    expect(line(edge, 'Edge: CloudFront')).toBeCloseTo(1_000 + ((1e9 * 1300) / GB) * 0.02, 6);
    expect(line(edge, 'Edge: AWS WAF')).toBeCloseTo((720 / 730) * 6 + 600, 6);
  });

  it('takes no fair-share leases for live customers, one per lease of events above the free allowance', () => {
    const without = stack();
    without.ingest = { ...without.ingest, environment: { ERASURE_TABLE: { Ref: 'Erasure' } } };
    expect(line(lines, 'DynamoDB')).toBeCloseTo(
      line(estimateCost(without, traffic, measured).lines, 'DynamoDB'),
      9,
    );
    // 2 customers sending 1e9 events a month: ~190 events/s each, past 10/s per instance; leases of 50 events
    // at 1,000 events/s: 20 M writes.
    const replay = { ...traffic, customers: 2 };
    expect(
      line(estimateCost(stack(), replay, measured).lines, 'DynamoDB') -
        line(estimateCost(without, replay, measured).lines, 'DynamoDB'),
    ).toBeCloseTo((1e9 / 50 / 1e6) * 0.625, 6);
  });

  it('assumes only what it says it assumes', () => {
    expect(ASSUMED).toMatchObject({ putMs: 10, dynamoMs: 5, jqRecordsPerSecond: 10_000 });
  });
});
