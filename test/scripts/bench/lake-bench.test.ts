import { benchLake } from '../../../scripts/bench/lake-bench';

// The lake bench at a small size: the figures are the bench's business (npm run bench -- --only lake);
// here, that both sides answer the three questions alike, and the sizes add up.
describe('the lake bench', () => {
  it('gets the same answers from landing JSON and from the curated table', async () => {
    const result = await benchLake(10_000);

    expect(result.queries).toHaveLength(3);
    for (const q of result.queries) {
      expect([q.query, q.sameAnswer]).toEqual([q.query, true]);
      // The curated side reads some bytes (a footer at least: the month files were found), fewer than
      // the landing side's.
      expect(q.curatedBytesRead).toBeGreaterThan(0);
      expect(q.curatedBytesRead).toBeLessThan(q.landingBytesRead);
    }
    // A file per customer and event month: 365 days of event times span at most 13 months.
    expect(result.curated.files).toBeGreaterThan(result.customers);
    expect(result.curated.files).toBeLessThanOrEqual(result.customers * 13);
    expect(result.landing.bytes).toBeGreaterThan(0);
  }, 120_000);
});
