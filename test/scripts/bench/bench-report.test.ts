import {
  type BenchResult,
  benchHtml,
  benchRows,
  benchTable,
  coldReason,
} from '../../../scripts/bench/bench-report';
import { packageOf } from '../../../scripts/bench/cold-start-bench';
import { GOALS } from '../../../scripts/bench/goals';

const result: BenchResult = {
  machine: { node: 'v20.0.0', cpus: '2 × test cpu', memoryGiB: 24 },
  goals: GOALS,
  core: [{ batchSize: 100, coreEventsPerSecond: 190_000, floorEventsPerSecond: 500_000, ratio: 0.38 }],
  plan: [
    { planEvents: 50, withPlanEventsPerSecond: 90_000, withoutPlanEventsPerSecond: 100_000, ratio: 0.9 },
  ],
  server: [
    {
      shape: 'single',
      server: 'destination',
      requestsPerSecond: 7_000,
      eventsPerSecond: 7_000,
      p50Ms: 2,
      p99Ms: 5,
      non2xx: 0,
    },
    {
      shape: 'single',
      server: 'baseline',
      requestsPerSecond: 10_000,
      eventsPerSecond: 10_000,
      p50Ms: 1,
      p99Ms: 3,
      non2xx: 0,
    },
  ],
  cold: [
    { function: 'ingest', bundleKiB: 120, loadMs: 20, firstEventMs: 25, nodeStartMs: 40, status: 200 },
    { function: 'admin', bundleKiB: 160, loadMs: 20, firstEventMs: 10, nodeStartMs: 40, status: 200 },
  ],
  lake: [],
  intent: [],
  erase: [],
};

describe('the bench report', () => {
  it('gives each measure its ratio against the same run and says whether the goal is met', () => {
    const rows = benchRows(result);

    expect(rows.map((r) => [r.id, r.ratio?.toFixed(2), r.met])).toEqual([
      ['core-100', '0.38', false],
      ['plan', '0.90', true],
      ['server-single', '0.70', true],
      ['cold-ingest', undefined, true],
      ['cold-admin', undefined, false], // 160 KiB is over the 150 KiB goal
    ]);
  });

  it('holds the identity graph to its goal only at the scale the goal names', () => {
    const graph = {
      users: 1_000_000,
      anonymousIds: 10_000_000,
      rows: 20_100_000,
      setupSeconds: 60,
      seconds: 200,
      peakRssMiB: 2_500,
      identities: 10_100_000,
      shared: 200_000,
      usersRows: 1_000_000,
      bytes: 130 * 2 ** 20,
    };
    const row = (identity: typeof graph) =>
      benchRows({ ...result, core: [], plan: [], server: [], cold: [], identity: [identity] })[0]!;

    expect(row(graph)).toMatchObject({ id: 'identity-graph', ours: '200.0 s, 2,500 MiB', met: true });
    expect(row({ ...graph, peakRssMiB: 5_000 }).met).toBe(false);
    expect(row({ ...graph, users: 10_000, seconds: 1 }).met).toBe(false);
  });

  it('compares the curated table with landing JSON as ratios of the landing figures', () => {
    const lake = {
      events: 1_000_000,
      customers: 20,
      landing: { files: 10_000, bytes: 60 * 2 ** 20 },
      curated: {
        files: 7_000,
        bytes: 30 * 2 ** 20,
        medianPartitionBytes: 4_000,
        smallestPartitionBytes: 3_000,
      },
      seedSeconds: 10,
      compactSeconds: 30,
      queries: [
        {
          query: 'distinct users',
          landingMs: 300,
          curatedMs: 50,
          landingBytesRead: 20 * 2 ** 20,
          curatedBytesRead: 4 * 2 ** 20,
          sameAnswer: true,
        },
      ],
    };

    const rows = benchRows({ ...result, core: [], plan: [], server: [], cold: [], lake: [lake] });

    expect(rows.map((r) => [r.id, r.ratio?.toFixed(1), r.met])).toEqual([
      ['lake-disk', '2.0', undefined],
      ['lake-compact', undefined, undefined],
      ['lake-q1-bytes', '5.0', false],
      ['lake-q1-time', '6.0', true],
    ]);
    expect(rows[2]!.ours).toBe('4.0 MiB');
  });

  it('says what a cold start is made of: the AWS SDK packages and their load, the largest bundled package', () => {
    const why = {
      sdkPackages: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
      sdkLoadMs: 70,
      largest: [
        { name: 'ajv', share: 0.58 },
        { name: 'our code', share: 0.3 },
        { name: 'valibot', share: 0.12 },
      ],
    };

    expect(coldReason(why, 121)).toBe(
      'the AWS SDK packages it requires (client-dynamodb, lib-dynamodb) load alone in 70 ms of its 121; the bundle: ajv 58 %, our code 30 %',
    );
    expect(coldReason({ sdkPackages: [], sdkLoadMs: 0, largest: [{ name: 'our code', share: 1 }] }, 2)).toBe(
      'no AWS SDK; our code only',
    );
    expect(
      [
        '../../node_modules/ajv/dist/core.js',
        '../../node_modules/@middy/core/index.js',
        '../../lambdas/x.ts',
      ].map(packageOf),
    ).toEqual(['ajv', '@middy/core', 'our code']);
  });

  it('prints an aligned table with a header, numbers right-aligned', () => {
    const lines = benchTable(benchRows(result)).split('\n');

    expect(lines[0]).toMatch(/^MEASURE\s+OURS\s+BASELINE\s+RATIO\s+GOAL\s+WHY$/);
    expect(lines).toHaveLength(6);
    const ratioEnd = lines[0]!.indexOf('RATIO') + 'RATIO'.length;
    expect(lines[1]!.slice(ratioEnd - 4, ratioEnd)).toBe('0.38');
    expect(lines[1]).toMatch(/NOT MET$/);
    expect(lines[2]).toMatch(/ met$/);
  });

  it('writes a page with the table and the ratios charted', async () => {
    const html = await benchHtml(result);

    expect(html).toContain('<td class="n" id="core-100-ratio">0.38</td>');
    expect(html).toContain('<td id="cold-admin-met">NOT MET</td>');
    expect(html).toMatch(/<figure class="chart" id="chart-ratios"><svg/);
    expect(html).toMatch(/<figure class="chart" id="chart-cold"><svg/);
    expect(html).not.toMatch(/<script/);
  });
});
