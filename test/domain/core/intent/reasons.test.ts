import { reasonInWords, topReasons } from '../../../../domain/core/intent/reasons';

describe("a person's reasons", () => {
  const columns = ['page_pricing', 'key_signup_started', 'trait_plan_free', 'noise'];

  it('keeps the three strongest shares either way, strongest first, and no share of 0', () => {
    expect(topReasons(columns, [12, 0, 1, 3], [0.41, 0, -0.9, 0.05])).toEqual([
      { feature: 'trait_plan_free', value: 1, contribution: -0.9 },
      { feature: 'page_pricing', value: 12, contribution: 0.41 },
      { feature: 'noise', value: 3, contribution: 0.05 },
    ]);
    expect(topReasons(columns, [0, 0, 0, 0], [0, 0, 0, 0])).toEqual([]);
  });

  it('says them in words', () => {
    expect(reasonInWords({ feature: 'page_pricing', value: 12, contribution: 0.41 })).toBe(
      'views of the page /pricing: 12 → more likely (+0.41 log-odds)',
    );
    expect(reasonInWords({ feature: 'key_signup_started', value: 0, contribution: -0.2 })).toBe(
      '"signup_started" events: 0 → less likely (−0.20 log-odds)',
    );
  });
});
