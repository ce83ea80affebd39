/** The artillery test as JSON: three Segment-shaped scenarios, phases, and thresholds that fail the run. */
export function artilleryConfig(options: {
  target: string;
  processor: string;
  phases: { duration: number; arrivalRate: number; name: string }[];
  p99Ms: number;
}) {
  const post = (url: string, before: string) => ({
    post: { url, beforeRequest: before, afterResponse: 'recordResponse' },
  });
  return {
    config: {
      target: options.target,
      phases: options.phases,
      processor: options.processor,
      http: { timeout: 30 },
      plugins: { ensure: {} },
      ensure: { thresholds: [{ 'http.response_time.p99': options.p99Ms }], maxErrorRate: 0 },
    },
    scenarios: [
      // Segment's direct destinations: one message per request, mixed types and name spellings, ~1% invalid.
      { name: 'direct', weight: 6, flow: [post('/', 'setDirectPayload')] },
      // analytics-node / RudderStack: /v1/batch with 100 messages.
      { name: 'sdk-batch', weight: 2, flow: [post('/v1/batch', 'setBatchPayload')] },
      // Replay: three years of timestamps, ~2% re-sent messageIds.
      { name: 'replay', weight: 2, flow: [post('/v1/batch', 'setReplayPayload')] },
    ],
  };
}

/** The counters and latencies of artillery's `--output` report that the summary needs. */
export function readArtilleryReport(report: {
  aggregate: {
    counters?: Record<string, number>;
    summaries?: Record<string, Record<string, number>>;
    firstCounterAt?: number;
    lastCounterAt?: number;
  };
}) {
  const counters = report.aggregate.counters ?? {};
  const latency = report.aggregate.summaries?.['http.response_time'] ?? {};
  const codes = Object.fromEntries(
    Object.entries(counters)
      .filter(([k]) => k.startsWith('http.codes.'))
      .map(([k, v]) => [k.slice('http.codes.'.length), v]),
  );
  const errors = Object.fromEntries(
    Object.entries(counters)
      .filter(([k]) => k.startsWith('errors.'))
      .map(([k, v]) => [k.slice('errors.'.length), v]),
  );
  const requests = counters['http.requests'] ?? 0;
  const { firstCounterAt, lastCounterAt } = report.aggregate;
  const seconds =
    firstCounterAt !== undefined && lastCounterAt !== undefined ? (lastCounterAt - firstCounterAt) / 1000 : 0;
  return {
    requests,
    codes,
    errors,
    serverErrors: Object.entries(codes)
      .filter(([code]) => code.startsWith('5'))
      .reduce((sum, [, n]) => sum + n, 0),
    latencyMs: {
      p50: latency.p50 ?? latency.median,
      p95: latency.p95,
      p99: latency.p99,
      p999: latency.p999,
      max: latency.max,
    },
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
  };
}
