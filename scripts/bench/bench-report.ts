import { alignedTable } from '../../cli/table';
import { barSpec, chartFigure, escapeHtml, htmlPage } from '../report/html-report';
import type { ColdStartBreakdown, ColdStartRow } from './cold-start-bench';
import type { ConsoleBenchResult } from './console-bench';
import type { CoreBenchResult } from './core-bench';
import type { EraseBenchResult } from './erase-bench';
import { IDENTITY_GOAL, INTENT_GOAL } from './goals';
import type { IdentityBenchResult } from './identity-bench';
import type { IntentBenchResult } from './intent-bench';
import type { LakeBenchResult } from './lake-bench';
import type { PlanBenchResult } from './plan-bench';
import type { ServerBenchRow } from './server-bench';
import type { SimulatedIdentityResult } from './simulated-identity-bench';

/** What `npm run bench` measured (also its `--json` output). */
export interface BenchResult {
  machine: { node: string; cpus: string; memoryGiB: number };
  goals: {
    coreRatio: number;
    planRatio: number;
    serverSingleRatio: number;
    serverBatchRatio: number;
    consoleOpenRatio: number;
    bundleKiB: number;
    loadAndFirstEventMs: number;
    lakeBytesReadRatio: number;
    lakeSpeedRatio: number;
    eraseBytesPerCustomerByte: number;
  };
  core: CoreBenchResult[];
  plan: PlanBenchResult[];
  server: ServerBenchRow[];
  /** Absent from results of runs before the console. */
  console?: ConsoleBenchResult[];
  cold: ColdStartRow[];
  lake: LakeBenchResult[];
  intent: IntentBenchResult[];
  /** Absent from results of runs before the identity graph. */
  identity?: IdentityBenchResult[];
  /** The graph on the simulator's traffic; absent from results of runs before it. */
  simulatedIdentity?: SimulatedIdentityResult[];
  erase: EraseBenchResult[];
  /** Parts that threw: reported in the table, the other parts still measured. */
  failed?: { part: string; error: string }[];
}

/** One line of the bench's table: ours against the baseline of the same run, and the goal. */
export interface BenchRow {
  id: string;
  measure: string;
  ours: string;
  baseline: string;
  /** ours ÷ baseline; absent for figures with no baseline (bundle size, cold start). */
  ratio?: number;
  goal: string;
  met?: boolean;
  /** What the figure is made of, where the bench measures it (the cold starts). */
  why?: string;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The table's rows, in the order the parts ran. */
export function benchRows(result: BenchResult): BenchRow[] {
  const { goals } = result;
  const rows: BenchRow[] = [];
  for (const r of result.core)
    rows.push({
      id: `core-${r.batchSize}`,
      measure: `core, ${r.batchSize}-event requests (events/s) vs JSON.parse + stringify`,
      ours: fmt(r.coreEventsPerSecond),
      baseline: fmt(r.floorEventsPerSecond),
      ratio: r.ratio,
      goal: `≥ ${goals.coreRatio}`,
      met: r.ratio >= goals.coreRatio,
    });
  for (const r of result.plan)
    rows.push({
      id: 'plan',
      measure: `core with a ${r.planEvents}-event tracking plan vs without (events/s)`,
      ours: fmt(r.withPlanEventsPerSecond),
      baseline: fmt(r.withoutPlanEventsPerSecond),
      ratio: r.ratio,
      goal: `≥ ${goals.planRatio}`,
      met: r.ratio >= goals.planRatio,
    });
  for (const shape of ['single', 'batch-100'] as const) {
    const ours = result.server.find((r) => r.shape === shape && r.server === 'destination');
    const base = result.server.find((r) => r.shape === shape && r.server === 'baseline');
    if (!ours || !base) continue;
    const ratio = ours.requestsPerSecond / base.requestsPerSecond;
    rows.push({
      id: `server-${shape}`,
      measure: `npm start, ${shape} requests (req/s; p99 ${ours.p99Ms} vs ${base.p99Ms} ms) vs node:http`,
      ours: fmt(ours.requestsPerSecond),
      baseline: fmt(base.requestsPerSecond),
      ratio,
      ...(shape === 'single'
        ? { goal: `≥ ${goals.serverSingleRatio}`, met: ratio >= goals.serverSingleRatio }
        : { goal: `≥ ${goals.serverBatchRatio}`, met: ratio >= goals.serverBatchRatio }),
    });
  }
  for (const r of result.console ?? [])
    rows.push({
      id: 'console-open',
      measure: `npm start, 100-event requests, a console page open vs none (events/s; ${fmt(r.streamedBytes / 1024)} KiB streamed to it)`,
      ours: fmt(r.openEventsPerSecond),
      baseline: fmt(r.closedEventsPerSecond),
      ratio: r.ratio,
      goal: `≥ ${goals.consoleOpenRatio}`,
      met: r.ratio >= goals.consoleOpenRatio,
    });
  for (const r of result.cold) {
    const failed = String(r.status).startsWith('failed');
    const ms = Math.round((r.loadMs + (r.firstEventMs ?? 0)) * 10) / 10;
    rows.push({
      id: `cold-${r.function}`,
      measure: `${r.function} bundle: KiB, ${r.firstEventMs === null ? 'load only (no representative event)' : 'load + first event'} (ms) in a fresh process`,
      ours: failed ? String(r.status).toUpperCase() : `${fmt(r.bundleKiB)} KiB, ${ms} ms`,
      baseline: '-',
      goal: `≤ ${goals.bundleKiB} KiB, ≤ ${goals.loadAndFirstEventMs} ms`,
      met: !failed && r.bundleKiB <= goals.bundleKiB && ms <= goals.loadAndFirstEventMs,
      ...(r.why ? { why: coldReason(r.why, ms) } : {}),
    });
  }
  for (const f of result.failed ?? [])
    rows.push({
      id: `failed-${f.part}`,
      measure: `${f.part}: the part failed`,
      ours: `FAILED: ${f.error}`,
      baseline: '-',
      goal: '-',
      met: false,
    });
  for (const r of result.lake) {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    rows.push({
      id: 'lake-disk',
      measure: `lake, ${fmt(r.events)} events: bytes on disk, curated vs landing (files: ${fmt(r.curated.files)} vs ${fmt(r.landing.files)})`,
      ours: mib(r.curated.bytes),
      baseline: mib(r.landing.bytes),
      ratio: r.landing.bytes / r.curated.bytes,
      goal: '-',
    });
    rows.push({
      id: 'lake-compact',
      measure: `lake: npm run compact of all ${fmt(r.events)} (median partition ${fmt(r.curated.medianPartitionBytes)} bytes)`,
      ours: `${r.compactSeconds.toFixed(1)} s`,
      baseline: '-',
      goal: '-',
    });
    for (const [i, q] of r.queries.entries()) {
      const bytesRatio = q.landingBytesRead / q.curatedBytesRead;
      const speedRatio = q.landingMs / q.curatedMs;
      rows.push(
        {
          id: `lake-q${i + 1}-bytes`,
          measure: `${q.query}: bytes read (× fewer)${q.sameAnswer ? '' : ' — ANSWERS DIFFER'}`,
          ours: mib(q.curatedBytesRead),
          baseline: mib(q.landingBytesRead),
          ratio: bytesRatio,
          goal: `≥ ${goals.lakeBytesReadRatio}`,
          met: bytesRatio >= goals.lakeBytesReadRatio && q.sameAnswer,
        },
        {
          id: `lake-q${i + 1}-time`,
          measure: `${q.query}: time (× faster)`,
          ours: `${q.curatedMs.toFixed(0)} ms`,
          baseline: `${q.landingMs.toFixed(0)} ms`,
          ratio: speedRatio,
          goal: `≥ ${goals.lakeSpeedRatio}`,
          met: speedRatio >= goals.lakeSpeedRatio && q.sameAnswer,
        },
      );
    }
  }
  for (const r of result.intent) {
    for (const [i, st] of [r.setup, ...r.stages].entries())
      rows.push({
        id: `intent-${i}`,
        measure: `intent, ${fmt(r.users)} users × ${r.days} days: ${st.stage}${st.detail ? ` (${st.detail})` : ''}; peak RSS ${fmt(Math.round(st.peakRssMiB))} MiB`,
        ours: `${st.seconds.toFixed(1)} s`,
        baseline: '-',
        goal: '-',
      });
    rows.push({
      id: 'intent-training',
      measure: `intent: training and validation time per 100,000 training users (${fmt(r.trainedUsers)} trained; both learners are linear in rows)`,
      ours: `${r.trainingSecondsPer100k.toFixed(1)} s`,
      baseline: '-',
      goal: `≤ ${INTENT_GOAL.trainingSecondsPer100k} s`,
      met: r.trainingSecondsPer100k <= INTENT_GOAL.trainingSecondsPer100k,
    });
    const met = r.total.seconds <= INTENT_GOAL.seconds && r.total.peakRssMiB <= INTENT_GOAL.peakRssMiB;
    rows.push({
      id: 'intent-total',
      measure: `intent, ${fmt(r.users)} users × ${r.days} days: all stages (features, training, validation, scoring; ${r.total.detail})`,
      ours: `${r.total.seconds.toFixed(1)} s, ${fmt(Math.round(r.total.peakRssMiB))} MiB`,
      baseline: '-',
      goal: `≤ ${INTENT_GOAL.seconds} s, ≤ ${fmt(INTENT_GOAL.peakRssMiB)} MiB`,
      met,
    });
  }
  for (const r of result.identity ?? [])
    rows.push({
      id: 'identity-graph',
      measure: `identity graph, ${fmt(r.users)} users with ${fmt(r.anonymousIds)} anonymous ids (${fmt(r.rows)} curated rows; setup ${r.setupSeconds.toFixed(0)} s): identities (${fmt(r.identities)} rows, ${fmt(r.shared)} shared) and users (${fmt(r.usersRows)}), ${fmt(r.bytes / 2 ** 20)} MiB of Parquet`,
      ours: `${r.seconds.toFixed(1)} s, ${fmt(Math.round(r.peakRssMiB))} MiB`,
      baseline: '-',
      goal: `≤ ${IDENTITY_GOAL.seconds} s, ≤ ${fmt(IDENTITY_GOAL.peakRssMiB)} MiB at ${fmt(IDENTITY_GOAL.users)} users`,
      met:
        r.users >= IDENTITY_GOAL.users &&
        r.seconds <= IDENTITY_GOAL.seconds &&
        r.peakRssMiB <= IDENTITY_GOAL.peakRssMiB,
    });
  for (const r of result.simulatedIdentity ?? [])
    rows.push({
      id: 'identity-graph-simulated',
      measure: `identity graph on the simulator's traffic: ${fmt(r.people)} people (devices, anonymous until sign-up, log-outs, shared devices, aliases), ${fmt(r.messages)} messages through the ingest core (${r.ingestSeconds.toFixed(0)} s), npm run compact ${r.compactSeconds.toFixed(1)} s and ${fmt(Math.round(r.compactPeakRssMiB))} MiB; ${fmt(r.anonymousIds)} anonymous ids, ${fmt(r.linkedAnonymousIds)} linked to ${fmt(r.users)} users, ${fmt(r.identities)} pairs (${fmt(r.shared)} shared); curated ${fmt(r.curatedRows)} rows of ${r.curatedBytesPerRow.toFixed(1)} compressed bytes, ${r.factBytesPerRow.toFixed(1)} of them in the columns the facts read`,
      ours: `${r.graphSeconds.toFixed(1)} s, ${fmt(Math.round(r.graphPeakRssMiB))} MiB`,
      baseline: '-',
      goal: `≤ ${IDENTITY_GOAL.seconds} s, ≤ ${fmt(IDENTITY_GOAL.peakRssMiB)} MiB`,
      met: r.graphSeconds <= IDENTITY_GOAL.seconds && r.graphPeakRssMiB <= IDENTITY_GOAL.peakRssMiB,
    });
  for (const r of result.simulatedIdentity ?? [])
    rows.push({
      id: 'intent-simulated',
      measure: `npm run intent on the same simulated lake (${fmt(r.people)} people, 90 days, the planted pricing signal): ${fmt(r.intent.scoredPersons)} persons scored, ${r.intent.chosen}, validation AUC ${r.intent.validationAuc.toFixed(3)}, grade ${r.intent.grade}`,
      ours: `${r.intent.seconds.toFixed(1)} s, ${fmt(Math.round(r.intent.peakRssMiB))} MiB`,
      baseline: '-',
      goal: `≤ ${INTENT_GOAL.seconds} s, ≤ ${fmt(INTENT_GOAL.peakRssMiB)} MiB`,
      met: r.intent.seconds <= INTENT_GOAL.seconds && r.intent.peakRssMiB <= INTENT_GOAL.peakRssMiB,
    });
  for (const r of result.erase)
    rows.push(
      {
        id: 'erase-bytes',
        measure: `erase ${r.usersErased} users of 1 customer of ${r.customers} (${fmt(r.eventsPerCustomer)} events each): bytes read vs that customer's bytes (${fmt(r.rowsRemoved)} rows removed, ${r.seconds.toFixed(1)} s)`,
        ours: fmt(r.bytesRead),
        baseline: fmt(r.customerBytes),
        ratio: r.ratioToCustomer,
        goal: `≤ ${goals.eraseBytesPerCustomerByte}`,
        met: r.ratioToCustomer <= goals.eraseBytesPerCustomerByte,
      },
      {
        id: 'erase-lake',
        measure:
          "erase: bytes read vs the whole lake's bytes (a pass never reads other customers' partitions)",
        ours: fmt(r.bytesRead),
        baseline: fmt(r.lakeBytes),
        ratio: r.ratioToLake,
        goal: `≤ ${(goals.eraseBytesPerCustomerByte / r.customers).toFixed(2)}`,
        met: r.ratioToLake <= goals.eraseBytesPerCustomerByte / r.customers,
      },
    );
  return rows;
}

/**
 * What a cold start is made of, in a few words: the SDK's share of the time, the largest bundled package.
 *
 * @internal
 */
export function coldReason(why: ColdStartBreakdown, totalMs: number): string {
  const sdk =
    why.sdkPackages.length === 0
      ? 'no AWS SDK'
      : `the AWS SDK packages it requires (${why.sdkPackages.map((p) => p.replace(/^@aws-sdk\//, '')).join(', ')}) load alone in ${why.sdkLoadMs} ms of its ${totalMs}`;
  const top = why.largest.find((p) => p.name !== 'our code');
  const ours = why.largest.find((p) => p.name === 'our code');
  const size = top
    ? `the bundle: ${top.name} ${Math.round(top.share * 100)} %, our code ${Math.round((ours?.share ?? 0) * 100)} %`
    : 'our code only';
  return `${sdk}; ${size}`;
}

const verdict = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : 'NOT MET');

/** The rows as the aligned table `npm run bench` prints. */
export function benchTable(rows: BenchRow[]): string {
  return alignedTable(
    [
      ['MEASURE', 'OURS', 'BASELINE', 'RATIO', 'GOAL', '', 'WHY'],
      ...rows.map((r) => [
        r.measure,
        r.ours,
        r.baseline,
        r.ratio === undefined ? '-' : r.ratio.toFixed(2),
        r.goal,
        verdict(r.met),
        r.why ?? '',
      ]),
    ],
    { right: [1, 2, 3] },
  );
}

/** The same figures as a page: the table, and the ratios as bars. */
export async function benchHtml(result: BenchResult): Promise<string> {
  const rows = benchRows(result);
  const ratios = rows.filter((r) => r.ratio !== undefined);
  const cold = result.cold.map((r) => ({ label: r.function, count: r.loadMs + (r.firstEventMs ?? 0) }));
  const cell = (id: string, text: string, numeric = false) =>
    `<td${numeric ? ' class="n"' : ''} id="${escapeHtml(id)}">${escapeHtml(text)}</td>`;
  const table = `<table>
<tr><th>measure</th><th>ours</th><th>baseline</th><th>ratio</th><th>goal</th><th></th><th>why</th></tr>
${rows
  .map(
    (r) =>
      `<tr><th>${escapeHtml(r.measure)}</th>${cell(`${r.id}-ours`, r.ours, true)}${cell(`${r.id}-baseline`, r.baseline, true)}${cell(`${r.id}-ratio`, r.ratio === undefined ? '-' : r.ratio.toFixed(2), true)}${cell(`${r.id}-goal`, r.goal)}${cell(`${r.id}-met`, verdict(r.met))}${cell(`${r.id}-why`, r.why ?? '')}</tr>`,
  )
  .join('\n')}
</table>`;
  const charts = [
    ratios.length
      ? await chartFigure(
          'chart-ratios',
          barSpec(
            'Ours ÷ baseline, measured in the same run (higher is better)',
            ratios.map((r) => ({ label: r.id, count: Number(r.ratio!.toFixed(3)) })),
            'ratio',
            { sorted: false },
          ),
        )
      : '',
    cold.length
      ? await chartFigure(
          'chart-cold',
          barSpec('Lambda cold start: load + first event (ms)', cold, 'ms', { sorted: false }),
        )
      : '',
  ];
  const { machine } = result;
  return htmlPage(
    'npm run bench',
    `<p>${escapeHtml(`${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}`)}</p>
${table}
${charts.join('\n')}`,
  );
}
