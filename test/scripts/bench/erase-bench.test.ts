import { benchErase } from '../../../scripts/bench/erase-bench';

// The erase part of npm run bench at a small size: a pass reads only the erased customer's files (three
// times: link, rewrite, verify), never the other customers', and removes the users' rows.
describe('the erase bench', () => {
  it('reads in proportion to the customer, not the lake', async () => {
    const result = await benchErase(5, 10_000, 100);

    expect(result.rowsRemoved).toBeGreaterThan(0);
    expect(result.ratioToCustomer).toBeGreaterThan(2);
    expect(result.ratioToCustomer).toBeLessThanOrEqual(3.5);
    expect(result.ratioToLake).toBeLessThanOrEqual(3.5 / 5);
  }, 60_000);
});
