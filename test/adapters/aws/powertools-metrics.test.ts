import { powertoolsMetrics } from '../../../adapters/aws/powertools-metrics';

/** The embedded-metric-format lines Powertools writes, parsed. */
function emitted(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    }),
    jest.spyOn(console, 'log').mockImplementation((line) => {
      lines.push(String(line));
    }),
  ];
  try {
    run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l));
}

describe('the functions’ metrics (CloudWatch embedded metric format)', () => {
  it('carries the stack, and counts what a deployment compares once more under the running version', () => {
    const records = emitted(() => {
      const metrics = powertoolsMetrics('ingest', 'Prod', '7');
      metrics.count('Requests', 1);
      metrics.count('EventsAccepted', 3);
      metrics.flush();
    });
    const dimensionSets = records.map(
      (r) =>
        (r._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions[0],
    );

    expect(records.every((r) => r.stack === 'Prod' && r.service === 'ingest')).toBe(true);
    // The versioned copy of Requests, and the totals (Requests and EventsAccepted) without a version.
    expect(records.find((r) => r.version === '7')).toMatchObject({ Requests: 1 });
    expect(records.find((r) => r.version === '7')).not.toHaveProperty('EventsAccepted');
    expect(dimensionSets).toContainEqual(expect.arrayContaining(['service', 'stack', 'version']));
    expect(records.some((r) => r.version === undefined && r.EventsAccepted === 3)).toBe(true);
  });

  it('adds an instance’s counts up for flushMs and writes them as one line, but a failure at once', () => {
    let now = 1_000_000;
    const metrics = powertoolsMetrics('ingest', 'Prod', undefined, { flushMs: 10_000, now: () => now });
    const invoke = (accepted: number) => {
      metrics.count('Requests', 1);
      metrics.count('EventsAccepted', accepted);
      metrics.count('EventsQuarantined', 1, 'invalid_event_name');
      metrics.flush();
    };

    // The first invocation writes (a new instance shows at once); the next ones within 10 s are held.
    expect(emitted(() => invoke(2))).toHaveLength(2);
    now += 4_000;
    expect(emitted(() => invoke(3))).toEqual([]);
    now += 5_999;
    expect(emitted(() => invoke(4))).toEqual([]);
    // 10 s after the last write: one line with the sums of the three held invocations, one per reason.
    now += 1;
    const written = emitted(() => invoke(5));
    expect(written).toHaveLength(2);
    expect(written.find((r) => r.Reason === undefined)).toMatchObject({ Requests: 3, EventsAccepted: 12 });
    expect(written.find((r) => r.Reason === 'invalid_event_name')).toMatchObject({ EventsQuarantined: 3 });

    // A failure writes everything held with it, whatever the time.
    now += 1_000;
    invoke(1);
    metrics.count('Answered5xx', 1);
    const failed = emitted(() => metrics.flush());
    expect(failed.find((r) => r.Reason === undefined)).toMatchObject({ Requests: 1, Answered5xx: 1 });
    expect(emitted(() => metrics.flush())).toEqual([]);
  });

  it('writes every invocation without flushMs (the functions off the request path)', () => {
    const metrics = powertoolsMetrics('ingest', 'Prod', undefined, { now: () => 5 });
    for (let i = 0; i < 3; i++)
      expect(
        emitted(() => {
          metrics.count('Requests', 1);
          metrics.flush();
        }),
      ).toHaveLength(1);
  });
});
