import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
