import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SCORES_COLUMNS, SCORES_FILE, SCORES_PARTITIONS } from '../../domain/contract/curated-table';
import { openLocalLake } from '../../local/lake-query';
import { seedLandingLake } from '../../scripts/bench/lake-bench';
import { ROOT, tempDataDir } from '../support/local-destination';

// npm run query promises Athena's names: the README's Athena examples run on the local lake as written.
describe("the README's Athena examples, on the local lake", () => {
  it('runs each SQL statement of the "Query with Athena" block', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /\*\*Query with Athena\*\*[\s\S]*?```sql\n([\s\S]*?)```/.exec(readme)![1]!;
    const statements = block
      .split(';')
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter(Boolean);
    expect(statements.length).toBeGreaterThanOrEqual(3);
    const lake = join(tempDataDir('readme-sql-'), 'lake');
    await seedLandingLake(lake, 2_000);
    const querier = await openLocalLake(lake);
    try {
      for (const sql of statements)
        await expect(querier.query(sql.replace(/'acme'/g, "'bench-0'"))).resolves.toMatchObject({
          columns: expect.any(Array),
        });
    } finally {
      querier.close();
    }
  });
});

// The last release wrote scores without `reasons`: they stay readable beside the newer files, NULL there.
describe('scores the last release wrote', () => {
  it('reads them through the scores view with the newer columns NULL, beside a scoring with reasons', async () => {
    const lake = join(tempDataDir('scores-upgrade-'), 'lake');
    const write = async (partition: string, select: string) => {
      const dir = join(lake, 'scores', partition);
      mkdirSync(dir, { recursive: true });
      const duck = await (await DuckDBInstance.create(':memory:')).connect();
      await duck.run(`COPY (${select}) TO '${join(dir, SCORES_FILE)}' (FORMAT parquet)`);
      duck.closeSync();
    };
    // The last release's columns, in its order.
    await write(
      'customer_id=acme/event_key=signedup/as_of=2026-11-01',
      "SELECT 'u1' AS user_id, CAST(NULL AS VARCHAR) AS anonymous_id, 'u1' AS person, 0.4E0 AS probability, 0.5E0 AS percentile, 5 AS decile",
    );
    await write(
      'customer_id=acme/event_key=signedup/as_of=2026-12-01',
      `SELECT 'u1' AS user_id, CAST(NULL AS VARCHAR) AS anonymous_id, 'u1' AS person, 0.6E0 AS probability, 0.9E0 AS percentile, 1 AS decile, '[{"feature":"page_pricing","value":3,"contribution":0.5}]' AS reasons`,
    );
    const querier = await openLocalLake(lake);
    try {
      const { columns, rows } = await querier.query(
        "SELECT * FROM scores WHERE customer_id = 'acme' ORDER BY as_of",
      );
      expect(columns).toEqual([...SCORES_COLUMNS, ...SCORES_PARTITIONS].map((c) => c.name));
      expect(
        rows.map((r) => [r.as_of, r.decile, r.reasons === null ? null : JSON.parse(String(r.reasons))]),
      ).toEqual([
        ['2026-11-01', 5, null],
        ['2026-12-01', 1, [{ feature: 'page_pricing', value: 3, contribution: 0.5 }]],
      ]);
    } finally {
      querier.close();
    }
  });
});
