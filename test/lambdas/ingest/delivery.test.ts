import type { RecordSink } from '../../../domain/core/common/ports';
import { createIngestEvent, createTrackMessage } from '../../support/factories';
import { setup } from '../../support/ingest-harness';
import { MemorySink } from '../../support/memory/memory-sink';

describe('ingest handler: delivery to the sink', () => {
  it('writes the ledger line last, and none for a request that ends in 503', async () => {
    const sink = new MemorySink();
    const { invoke } = setup(sink);
    await invoke(createIngestEvent({ body: JSON.stringify(createTrackMessage()) }));

    expect(sink.acknowledged.map((r) => r.area)).toEqual(['events', 'ledger']);
    expect(sink.lines('ledger')[0]).toMatchObject({
      ledger_version: 2,
      request_id: 'req-1',
      status: 200,
      accepted: 1,
    });
    expect(sink.lines('events')[0]).toMatchObject({ request_id: 'req-1' });

    // Events stored, then the ledger line refused: the request ends in 503 and leaves no ledger line.
    const memory = new MemorySink();
    const ledgerRefused: RecordSink = {
      maxRecordBytes: memory.maxRecordBytes,
      put: async (records) =>
        records.some((r) => r.area === 'ledger')
          ? records.map(() => ({ ok: false, retryable: true, code: 'Throttled' }))
          : memory.put(records),
    };
    const answer = await setup(ledgerRefused).invoke(
      createIngestEvent({ body: JSON.stringify(createTrackMessage()) }),
    );

    expect(answer.statusCode).toBe(503);
    expect(memory.acknowledged.map((r) => r.area)).toEqual(['events']);
  });

  it('sends the ledger line in the same put as the events to an all-or-nothing sink, and none on a refusal', async () => {
    const memory = new MemorySink();
    const puts: string[][] = [];
    let refuse = false;
    const spoolLike: RecordSink = {
      maxRecordBytes: memory.maxRecordBytes,
      allOrNothing: true,
      put: async (records) => {
        puts.push(records.map((r) => r.area));
        return refuse
          ? records.map(() => ({ ok: false, retryable: true, code: 'spool_write_failed' }))
          : memory.put(records);
      },
    };
    const { invoke } = setup(spoolLike);

    const accepted = await invoke(createIngestEvent({ body: JSON.stringify(createTrackMessage()) }));
    refuse = true;
    const refused = await invoke(createIngestEvent({ body: JSON.stringify(createTrackMessage()) }));

    expect([accepted.statusCode, refused.statusCode]).toEqual([200, 503]);
    // One commit per request: the events and their ledger line together, never the ledger line alone.
    expect(puts.every((areas) => areas.join() === 'events,ledger')).toBe(true);
    expect(memory.lines('ledger')).toHaveLength(1);
    expect(memory.lines('ledger')[0]).toMatchObject({ status: 200, accepted: 1 });
  });

  it('retries only failed records and answers 200 once the sink took them all', async () => {
    // 600 events of one request pack into two records (500 lines at most each); the first is refused once.
    const sink = new MemorySink(1_000 * 1024, (record, attempt) =>
      record.area === 'events' && record.count === 500 && attempt === 1
        ? { ok: false, retryable: true, code: 'Throttled' }
        : undefined,
    );
    const { invoke } = setup(sink);
    const body = JSON.stringify(Array.from({ length: 600 }, () => createTrackMessage()));

    const answer = await invoke(createIngestEvent({ body }));

    expect(answer.statusCode).toBe(200);
    expect(sink.sent.filter((r) => r.area === 'events').map((r) => r.count)).toEqual([500, 100, 500]);
    expect(
      sink.acknowledged
        .filter((r) => r.area === 'events')
        .map((r) => r.count)
        .sort(),
    ).toEqual([100, 500]);
  });
});
