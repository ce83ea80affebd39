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
});
