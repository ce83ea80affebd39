import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { runsPerMonth, stackFactsFromTemplate } from '../../../../domain/core/cost/template-facts';
import { ROOT } from '../../../support/local-destination';
import { synthStack } from '../../../support/stack';

describe('what the cost model reads from the synthesized template', () => {
  const facts = stackFactsFromTemplate(synthStack({ maxCustomers: 2000 }).template.toJSON());

  it('finds the ingest function and the authorizer behind the API, with their memory and architecture', () => {
    expect(facts.ingest).toMatchObject({ memoryMb: 512, arm64: true });
    expect(facts.authorizer).toMatchObject({ memoryMb: 256, arm64: true });
    expect(facts.authorizerCacheSeconds).toBe(300);
    expect(facts.ingest.environment).toHaveProperty('ERASURE_TABLE');
  });

  it('has every function log JSON without Lambda’s platform lines, and the access log in Infrequent Access', () => {
    expect(facts.functions.length).toBeGreaterThan(5);
    expect(facts.functions.filter((f) => !f.platformLinesDropped).map((f) => f.id)).toEqual([]);
    expect(facts.functions.every((f) => f.logGroup?.retentionDays !== undefined)).toBe(true);
    expect(facts.accessLog).toMatchObject({ infrequentAccess: true });
    // Short keys, and never a header: the Authorization header must not reach a log.
    expect(facts.accessLogFormat).not.toMatch(/header/i);
    expect(JSON.parse(facts.accessLogFormat)).toMatchObject({
      id: '$context.requestId',
      status: '$context.status',
    });
  });

  it('counts the delivery pairs, the schedules’ runs, alarms and the lake’s tiering', () => {
    expect(facts.streams).toEqual({ count: 14, provisionedShards: undefined });
    expect(facts.firehose).toEqual({ count: 14, bufferSeconds: 300, dynamicPartitioning: true, jq: true });
    const runs = Object.fromEntries(
      facts.stateMachines.map((m) => [m.id.replace(/StateMachine.*$/, ''), m.runsPerMonth]),
    );
    expect(runs).toMatchObject({ Curated: 720, Erasure: 720 });
    expect(runs.Refresh).toBeCloseTo(30 / 7, 6);
    expect(facts.alarms).toBeGreaterThan(50);
    expect(facts.lakeTransitionDays).toBe(90);
    expect(facts.lakeExpireDays).toBeUndefined();
    const expiring = stackFactsFromTemplate(synthStack({ lakeExpireAfterDays: 400 }).template.toJSON());
    expect(expiring.lakeExpireDays).toBe(400);
  });

  it('reads schedule expressions as a 30-day month', () => {
    expect(runsPerMonth('cron(5 * * * ? *)')).toBe(720);
    expect(runsPerMonth('cron(0 6 ? * MON *)')).toBeCloseTo(30 / 7, 9);
    expect(runsPerMonth('cron(0/15 * * * ? *)')).toBe(4 * 24 * 30);
    expect(runsPerMonth('cron(0 1,13 * * ? *)')).toBe(60);
    expect(runsPerMonth('rate(1 hour)')).toBe(720);
    expect(runsPerMonth('rate(5 minutes)')).toBe(8640);
    expect(runsPerMonth('at(2026-12-07T00:00:00)')).toBe(0);
  });
});

/**
 * The independent count (1 B single-event requests a month, 2,000 customers), line by line from
 * AWS's price pages, without its logging line (~$900 for the lines the stack wrote then).
 */
const INDEPENDENT = {
  'API Gateway (HTTP API)': 930,
  'Lambda (ingest)': 373,
  'Kinesis on-demand': 721,
  'Firehose ingestion': 277,
  'Firehose dynamic partitioning + objects': 130,
  'S3 requests': 95,
  DynamoDB: 48,
  'curated job': 63,
  'Step Functions, alarms, metrics, S3 storage': 55,
};

describe('npm run cost at a billion single-event requests for 2,000 customers', () => {
  let run: SpawnSyncReturns<string>;
  let out: {
    lines: { service: string; usd: number; basis: string }[];
    total: number;
    logging: { usd: number; shareOfApiGateway: number };
  };
  beforeAll(() => {
    run = spawnSync(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        'scripts/cost.ts',
        '--json',
        '--events',
        '1000000000',
        '--per-request',
        '1',
        '--customers',
        '2000',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    out = JSON.parse(run.stdout);
  });
  const usd = (prefix: string) =>
    out.lines.filter((l) => l.service.startsWith(prefix)).reduce((sum, l) => sum + l.usd, 0);

  it('prints pure JSON with every billed line', () => {
    expect(run.status).toBe(0);
    for (const service of [
      'API Gateway',
      'Lambda (ingest)',
      'Lambda (authorizer)',
      'Kinesis on-demand',
      'Firehose ingestion',
      'Firehose dynamic partitioning',
      'Firehose objects delivered',
      'S3 requests',
      'DynamoDB',
      'CloudWatch Logs (ingest function)',
      'CloudWatch Logs (access log)',
      'CloudWatch Logs (storage)',
      'CloudWatch metrics',
      'CloudWatch alarms',
      'Step Functions',
      'Curated job: Athena',
      'S3 storage (curated)',
    ])
      expect(out.lines.map((l) => l.service).some((s) => s.startsWith(service))).toBe(true);
    for (const line of out.lines)
      expect(line).toEqual({
        service: expect.any(String),
        usd: expect.any(Number),
        basis: expect.any(String),
      });
  });

  it('logs for at most a tenth of the API Gateway line', () => {
    expect(out.logging.usd).toBeCloseTo(usd('CloudWatch Logs'), 9);
    expect(out.logging.shareOfApiGateway).toBeLessThanOrEqual(0.1);
  });

  it('comes within 10 % of the independent count, with our logging in place of its', () => {
    const independent = Object.values(INDEPENDENT).reduce((sum, v) => sum + v, 0) + out.logging.usd;
    expect(Math.abs(out.total - independent) / independent).toBeLessThan(0.1);
    // The large lines each within a fifth of theirs.
    expect(usd('API Gateway')).toBeCloseTo(INDEPENDENT['API Gateway (HTTP API)'], 6);
    for (const [prefix, figure] of [
      ['Lambda (ingest)', INDEPENDENT['Lambda (ingest)']],
      ['Kinesis on-demand', INDEPENDENT['Kinesis on-demand']],
      ['Firehose ingestion', INDEPENDENT['Firehose ingestion']],
    ] as const)
      expect(Math.abs(usd(prefix) - figure) / figure).toBeLessThan(0.2);
  });
});
