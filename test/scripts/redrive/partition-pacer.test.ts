import type { TokenStore } from '../../../domain/core/keys/token-store';
import type { LakeStore } from '../../../scripts/redrive/lake-store';
import { PartitionPacer } from '../../../scripts/redrive/partition-pacer';
import { runRedrive } from '../../../scripts/redrive/run-redrive';
import { createFakeClock } from '../../support/factories';
import { MemorySink } from '../../support/memory/memory-sink';

/** An errors/ object as Firehose writes it: one error record per line, our record base64 in rawData. */
function errorObject(lines: object[]): Buffer {
  const rawData = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')).toString('base64');
  return Buffer.from(
    `${JSON.stringify({ errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded', rawData })}\n`,
  );
}

const event = (customer: string, day: string, id: string) => ({
  area: 'events',
  customer_id: customer,
  message_id: id,
  received_at: `${day}T10:00:00.000Z`,
});

describe('redrive against a deployed stage: paced and patient', () => {
  it('opens at most its share of partitions per window, and waits out a stream that throttles everything', async () => {
    const clock = createFakeClock();
    const objects = new Map<string, Buffer>([
      [
        'errors/activePartitionExceeded/2026/11/27/a',
        errorObject([
          event('acme', '2026-11-25', 'm-1'),
          event('acme', '2026-11-26', 'm-2'),
          event('globex', '2026-11-26', 'm-3'),
        ]),
      ],
    ]);
    const store: LakeStore = {
      list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(prefix)),
      read: async (key) => objects.get(key)!,
      move: async (key, to) => {
        objects.set(to, objects.get(key)!);
        objects.delete(key);
      },
      readState: async () => [],
      writeState: async () => undefined,
    };
    const opened: { at: number; partition: string }[] = [];
    // Every put is throttled whole for its first two attempts, as a full stream does.
    const sink = new MemorySink(1_000 * 1024, (record, attempt) => {
      if (attempt <= 2)
        return {
          ok: false,
          retryable: true,
          throttled: true,
          code: 'ProvisionedThroughputExceededException',
        };
      opened.push({ at: clock.now(), partition: `${record.customerId}/${record.dt}` });
      return undefined;
    });
    const pacer = new PartitionPacer(1, 90_000, clock);

    const report = await runRedrive(store, sink, {} as TokenStore, { quarantine: false, pacer, clock });

    expect(report.errorLines).toBe(3);
    expect(
      sink
        .lines('events')
        .map((e) => e.message_id)
        .sort(),
    ).toEqual(['m-1', 'm-2', 'm-3']);
    // One new partition per 90 s window: three partitions, two waits.
    expect(opened.map((o) => o.partition)).toEqual([
      'acme/2026-11-25',
      'acme/2026-11-26',
      'globex/2026-11-26',
    ]);
    expect(opened[1]!.at - opened[0]!.at).toBeGreaterThanOrEqual(90_000);
    expect(opened[2]!.at - opened[1]!.at).toBeGreaterThanOrEqual(90_000);
    expect(objects.has('redriven/errors/activePartitionExceeded/2026/11/27/a')).toBe(true);
  });

  it('lets a partition already opened in the window through without waiting', async () => {
    const clock = createFakeClock();
    const pacer = new PartitionPacer(2, 90_000, clock);

    await pacer.take('a');
    await pacer.take('b');
    await pacer.take('a');
    expect(clock.sleeps).toEqual([]);
    await pacer.take('c');
    expect(clock.sleeps).toEqual([90_000]);
  });
});
