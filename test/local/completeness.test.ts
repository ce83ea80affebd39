import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { landingPath, partitionCustomer } from '../../domain/contract/lake-areas';
import { localCompleteness } from '../../local/completeness';
import { tempDataDir } from '../support/local-destination';

// The completeness rule is the `completeness` view's SQL (Athena's too): these cases run it on lakes
// made of the lines each case names.
type Line = Record<string, unknown>;
const ledger = (request_id: string, accepted: number, dt = '2026-11-28'): Line => ({
  ledger_version: 2,
  request_id,
  customer_id: 'acme',
  dt,
  received_at: `${dt}T10:00:00.000Z`,
  accepted,
  quarantined: 0,
  duplicates: 0,
});
const event = (request_id: string, message_id: string): Line => ({
  area: 'events',
  request_id,
  message_id,
  customer_id: 'acme',
  received_at: '2026-11-28T10:00:00.000Z',
});

/** A lake holding these lines, one object per area, in the landing layout. */
function lakeOf(lines: { ledger?: Line[]; events?: Line[] }): string {
  const lake = join(tempDataDir('completeness-sql-'), 'lake');
  for (const [area, records] of Object.entries(lines) as ['ledger' | 'events', Line[]][]) {
    if (records.length === 0) continue;
    const dir = join(lake, landingPath(area, partitionCustomer(area, 'acme'), '2026-11-28'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'x.json.gz'), gzipSync(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`));
  }
  return lake;
}

describe('completeness, per request (the view’s SQL)', () => {
  it('never lets a surplus in one request hide a loss in another', async () => {
    const rows = await localCompleteness(
      lakeOf({
        ledger: [ledger('r1', 2), ledger('r2', 2)],
        events: [event('r1', 'a'), event('r1', 'b'), event('r1', 'extra'), event('r2', 'c')],
      }),
    );

    expect(rows).toEqual([
      expect.objectContaining({ requests: 2, accepted: 4, landed: 4, missing: 1, surplus: 1 }),
    ]);
  });

  it('counts a message landed twice under one request once (Firehose delivers at least once)', async () => {
    const rows = await localCompleteness(
      lakeOf({ ledger: [ledger('r1', 1)], events: [event('r1', 'a'), event('r1', 'a')] }),
    );

    expect(rows[0]).toMatchObject({ landed: 1, missing: 0, surplus: 0 });
  });

  it('reports events of requests that were never answered for good apart, by their receive day', async () => {
    const rows = await localCompleteness(
      lakeOf({ ledger: [ledger('r1', 1)], events: [event('r1', 'a'), event('r-503', 'a')] }),
    );

    expect(rows[0]).toMatchObject({ missing: 0, surplus: 0, unacknowledged: 1 });
  });

  it('ignores ledger lines written before per-request ids (version 1)', async () => {
    const old = { ledger_version: 1, customer_id: 'acme', dt: '2026-11-01', accepted: 5 };

    expect(await localCompleteness(lakeOf({ ledger: [old] }))).toEqual([]);
  });
});
