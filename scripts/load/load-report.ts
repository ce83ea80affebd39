import { barSpec, chartFigure, escapeHtml, htmlPage, linesOverTimeSpec } from '../report/html-report';
import type { readArtilleryReport } from './artillery-config';
import type { Reconciliation } from './reconcile';

/** A point of a chart over time: seconds since the run's first measurement. */
interface SeriesPoint {
  t: number;
  series: string;
  value: number;
}

export interface LoadSeries {
  /** Requests per second in each artillery period, one series per HTTP status. */
  requestsPerSecond: SeriesPoint[];
  /** p50, p95 and p99 of each period (ms). */
  latencyMs: SeriesPoint[];
  /** The local server's resident memory (MiB); empty against a deployed stage. */
  memoryMiB: SeriesPoint[];
}

/** One period of artillery's `--output` report (`intermediate[]`): counters and summaries of ~10 s. */
interface ArtilleryPeriod {
  period: string | number;
  lastCounterAt?: number;
  counters?: Record<string, number>;
  summaries?: Record<string, Record<string, number>>;
}

/**
 * The charts' data: artillery's periods (it reports every 10 s) and the memory samples, on one time
 * axis that starts at the first of them.
 */
export function loadSeries(periods: ArtilleryPeriod[], memory: { atMs: number; mib: number }[]): LoadSeries {
  const starts = periods.map((p) => Number(p.period));
  const origin = Math.min(...starts, ...memory.map((m) => m.atMs));
  const requestsPerSecond: SeriesPoint[] = [];
  const latencyMs: SeriesPoint[] = [];
  periods.forEach((p, i) => {
    const start = starts[i]!;
    // A period lasts until the next one starts; the last one until its last counted response.
    const end = starts[i + 1] ?? Math.max(start + 1_000, p.lastCounterAt ?? start + 10_000);
    const seconds = (end - start) / 1000;
    const t = Math.round((start - origin) / 1000);
    for (const [name, count] of Object.entries(p.counters ?? {}))
      if (name.startsWith('http.codes.'))
        requestsPerSecond.push({ t, series: name.slice('http.codes.'.length), value: count / seconds });
    const latency = p.summaries?.['http.response_time'];
    if (latency)
      for (const q of ['p50', 'p95', 'p99'] as const)
        if (latency[q] !== undefined) latencyMs.push({ t, series: q, value: latency[q]! });
  });
  return {
    requestsPerSecond,
    latencyMs,
    memoryMiB: memory.map((m) => ({
      t: Math.round((m.atMs - origin) / 1000),
      series: 'server RSS',
      value: m.mib,
    })),
  };
}

/** What report.html shows: the parts of result.json it charts and states. */
export interface LoadReportInput {
  mode: string;
  target: string;
  artillery: ReturnType<typeof readArtilleryReport>;
  reconciliation: Pick<
    Reconciliation,
    | 'acknowledgedMessages'
    | 'distinctAcknowledged'
    | 'deliberateDuplicates'
    | 'landedLines'
    | 'expectedQuarantined'
    | 'foundInQuarantine'
  > & { missing: string[]; unexplainedDuplicates: string[] };
  series: LoadSeries;
  failures: string[];
}

const number = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The load or soak run as a page: the verdict, the figures of result.json (each in an element with an
 * id, so a test can compare them), and charts of requests/s by status, latency and memory over time.
 */
export async function loadReportHtml(run: LoadReportInput): Promise<string> {
  const { artillery, reconciliation: r, series } = run;
  const row = (id: string, label: string, value: string) =>
    `<tr><th>${escapeHtml(label)}</th><td class="n" id="${id}">${escapeHtml(value)}</td></tr>`;
  const charts = [
    await chartFigure(
      'chart-requests',
      linesOverTimeSpec('Requests per second, by HTTP status', series.requestsPerSecond, 'requests/s'),
    ),
    await chartFigure('chart-latency', linesOverTimeSpec('Latency', series.latencyMs, 'ms')),
    series.memoryMiB.length > 0
      ? await chartFigure('chart-memory', linesOverTimeSpec('Server memory', series.memoryMiB, 'MiB'))
      : '<p class="empty">Server memory: not sampled (a deployed stage).</p>',
  ];
  // Unsorted on purpose: the bars read top to bottom as the ledger's story (sent, landed, lost).
  const reconciliationChart = await chartFigure(
    'chart-reconciliation',
    barSpec(
      'Reconciliation',
      [
        { label: 'acknowledged messages', count: r.acknowledgedMessages },
        { label: 'lines in the events lake', count: r.landedLines },
        { label: 'missing from the lake', count: r.missing.length },
        { label: 'duplicates sent on purpose', count: r.deliberateDuplicates },
        { label: 'unexplained duplicates', count: r.unexplainedDuplicates.length },
        { label: 'invalid on purpose', count: r.expectedQuarantined },
        { label: 'found in quarantine', count: r.foundInQuarantine },
      ],
      'messages',
      { sorted: false },
    ),
  );
  const verdict = run.failures.length
    ? `<p class="failed" id="verdict">FAILED</p><ul>${run.failures.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`
    : '<p class="passed" id="verdict">passed</p>';
  return htmlPage(
    `${run.mode} run against ${run.target}`,
    `${verdict}
<h2>Traffic</h2>
<table>
${row('requests', 'requests', number(artillery.requests))}
${row('rps', 'requests/s (mean)', number(artillery.requestsPerSecond, 1))}
${row('p50', 'p50 ms', String(artillery.latencyMs.p50))}
${row('p95', 'p95 ms', String(artillery.latencyMs.p95))}
${row('p99', 'p99 ms', String(artillery.latencyMs.p99))}
${row(
  'answers',
  'answers',
  Object.entries(artillery.codes)
    .map(([c, n]) => `${c}: ${n}`)
    .join(', '),
)}
</table>
${charts.join('\n')}
<h2>Reconciliation: what was acknowledged against what the lake holds</h2>
<table>
${row('acknowledged', 'acknowledged messages', number(r.acknowledgedMessages))}
${row('distinct', 'distinct acknowledged messageIds', number(r.distinctAcknowledged))}
${row('landed', 'lines in the events lake', number(r.landedLines))}
${row('missing', 'missing from the lake', number(r.missing.length))}
${row('deliberate', 'duplicates sent on purpose (Replay)', number(r.deliberateDuplicates))}
${row('unexplained', 'unexplained duplicates', number(r.unexplainedDuplicates.length))}
${row('quarantined', 'invalid on purpose, found in quarantine', `${number(r.foundInQuarantine)} of ${number(r.expectedQuarantined)}`)}
</table>
${reconciliationChart}`,
  );
}
