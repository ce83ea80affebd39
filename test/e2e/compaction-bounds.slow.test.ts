import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openLocalLake } from '../../local/lake-query';
import { ROUND_BYTES, runCompaction } from '../../scripts/compact/run-compaction';
import { lakeLineJson } from '../support/factories';
import { tempDataDir } from '../support/local-destination';

// Compaction's memory is bounded at the legal maximums: messages of 30 KB (under Segment's 32 KB), and
// landing objects of ~30 MiB each (a local segment holds up to 16 MiB plus one request, whose lines
// inflate to at most 32 MiB). Reading two such objects in one round with two threads ran DuckDB out of
// its 2 GiB (measured: docs/lake.md, "Bounds"); rounds of at most ROUND_BYTES, an oversized object read
// alone by one thread, stay under 1 GiB.

const MESSAGES_PER_OBJECT = 1_000;
const BLOB = 30_000;

function maximalObject(customer: string, object: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < MESSAGES_PER_OBJECT; i++) {
    const id = `${customer}-${object}-${i}`;
    const line = JSON.parse(
      lakeLineJson('events', id, { properties: { blob: `${id}-`.padEnd(BLOB, 'abcdefghij'[i % 10]) } }),
    ) as Record<string, unknown>;
    lines.push(JSON.stringify({ ...line, customer_id: customer, event_date: '2026-01-01' }));
  }
  return gzipSync(`${lines.join('\n')}\n`, { level: 1 });
}

describe('compaction at the legal maximums', () => {
  it('merges two maximal objects of one customer and a small customer within a 1 GiB DuckDB limit', async () => {
    const lake = join(tempDataDir('bounds-'), 'lake');
    try {
      for (const [customer, objects] of [
        ['big', 2],
        ['small', 1],
      ] as const) {
        const dir = join(lake, 'events', `customer_id=${customer}`, 'received_dt=2026-01-01');
        mkdirSync(dir, { recursive: true });
        for (let o = 0; o < objects; o++) {
          const bytes =
            customer === 'big'
              ? maximalObject(customer, o)
              : gzipSync(`${lakeLineJson('events', 'small-1', {}).replace('"acme"', '"small"')}\n`);
          writeFileSync(join(dir, `object-${o}.gz`), bytes);
        }
      }
      expect(MESSAGES_PER_OBJECT * BLOB).toBeGreaterThan(ROUND_BYTES);

      const report = await runCompaction({ lakeRoot: lake, memoryLimit: '1GB' });

      expect(report).toMatchObject({ objectsTaken: 3, failedCustomers: [], damaged: [] });
      const querier = await openLocalLake(lake);
      try {
        const { rows } = await querier.query(
          'SELECT customer_id, count(*) AS n FROM events_curated GROUP BY 1 ORDER BY 1',
        );
        expect(rows).toEqual([
          { customer_id: 'big', n: '2000' },
          { customer_id: 'small', n: '1' },
        ]);
      } finally {
        querier.close();
      }
    } finally {
      rmSync(join(lake, '..'), { recursive: true, force: true });
    }
  }, 120_000);
});
