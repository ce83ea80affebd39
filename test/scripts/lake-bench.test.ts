import { benchLake } from '../../scripts/bench/lake-bench';

// The lake bench at a small size: the figures are the bench's business (npm run bench -- --only lake);
// here, that both sides answer the three questions alike, and the sizes add up.
describe('the lake bench', () => {
  it('gets the same answers from landing JSON and from the curated table', async () => {
    const result = await benchLake(10_000);

    expect(result.queries).toHaveLength(3);
    for (const q of result.queries) expect([q.query, q.sameAnswer]).toEqual([q.query, true]);
    expect(result.curated.files).toBeGreaterThan(100);
    expect(result.landing.bytes).toBeGreaterThan(0);
  }, 120_000);
});
