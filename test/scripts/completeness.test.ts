import { completeness } from '../../local/completeness';
import type { LandedLine } from '../../local/read-lake';

const line = (record: Record<string, unknown>): LandedLine => ({ key: 'x', record });
const ledger = (request_id: string, accepted: number, dt = '2026-11-28') =>
  line({ ledger_version: 2, request_id, customer_id: 'acme', dt, accepted, quarantined: 0, duplicates: 0 });
const event = (request_id: string, message_id: string) =>
  line({ request_id, message_id, customer_id: 'acme', received_at: '2026-11-28T10:00:00.000Z' });

describe('completeness, per request', () => {
  it('never lets a surplus in one request hide a loss in another', () => {
    const rows = completeness(
      [ledger('r1', 2), ledger('r2', 2)],
      [event('r1', 'a'), event('r1', 'b'), event('r1', 'extra'), event('r2', 'c')],
      [],
    );

    expect(rows).toEqual([
      expect.objectContaining({ requests: 2, accepted: 4, landed: 4, missing: 1, surplus: 1 }),
    ]);
  });

  it('counts a message landed twice under one request once (Firehose delivers at least once)', () => {
    const rows = completeness([ledger('r1', 1)], [event('r1', 'a'), event('r1', 'a')], []);

    expect(rows[0]).toMatchObject({ landed: 1, missing: 0, surplus: 0 });
  });

  it('reports events of requests that were never answered for good apart, by their receive day', () => {
    const rows = completeness([ledger('r1', 1)], [event('r1', 'a'), event('r-503', 'a')], []);

    expect(rows[0]).toMatchObject({ missing: 0, surplus: 0, unacknowledged: 1 });
  });

  it('ignores ledger lines written before per-request ids (version 1)', () => {
    const old = line({ ledger_version: 1, customer_id: 'acme', dt: '2026-11-01', accepted: 5 });

    expect(completeness([old], [], [])).toEqual([]);
  });
});
