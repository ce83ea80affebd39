import { dealSlices, planSlices, sliceOf } from '../../../../domain/core/intent/slices';

describe('the slices of an intent run', () => {
  it('gives each slice a cutoff of its own when the history holds a look-back and four horizons', () => {
    expect(planSlices('2026-04-01', 14, 30, '2026-01-05')).toEqual({
      shortHistory: false,
      cutoffs: [
        { cutoff: '2026-02-04', slices: ['training'] },
        { cutoff: '2026-02-18', slices: ['stop'] },
        { cutoff: '2026-03-04', slices: ['calibration'] },
        { cutoff: '2026-03-18', slices: ['report'] },
      ],
    });
  });

  it('shares cutoffs as the history shortens, and says when the report shares the calibration’s', () => {
    // A day short of four cutoffs: three.
    expect(planSlices('2026-04-01', 14, 30, '2026-01-06')).toEqual({
      shortHistory: false,
      cutoffs: [
        { cutoff: '2026-02-18', slices: ['training', 'stop'] },
        { cutoff: '2026-03-04', slices: ['calibration'] },
        { cutoff: '2026-03-18', slices: ['report'] },
      ],
    });
    expect(planSlices('2026-04-01', 14, 30, '2026-01-31')).toEqual({
      shortHistory: true,
      cutoffs: [
        { cutoff: '2026-03-04', slices: ['training', 'stop'] },
        { cutoff: '2026-03-18', slices: ['calibration', 'report'] },
      ],
    });
    expect(planSlices('2026-04-01', 14, 30, '2026-02-03')).toBeUndefined();
  });

  it('deals a shared cutoff’s persons by a hash: disjoint, stable, in the stated shares', () => {
    const persons = Array.from({ length: 20_000 }, (_, i) => ({ person: `user-${i}` }));
    const cutoffs = [
      { cutoff: '2026-03-04', slices: ['training', 'stop'] as const },
      { cutoff: '2026-03-18', slices: ['calibration', 'report'] as const },
    ].map((c) => ({ ...c, slices: [...c.slices] }));
    const dealt = dealSlices(cutoffs, [persons, persons]);

    expect(dealt.training.length / 20_000).toBeCloseTo(0.8, 1);
    expect(dealt.calibration.length / 20_000).toBeCloseTo(0.5, 1);
    expect(dealt.training.length + dealt.stop.length).toBe(20_000);
    const stop = new Set(dealt.stop.map((p) => p.person));
    expect(dealt.training.some((p) => stop.has(p.person))).toBe(false);
    const report = new Set(dealt.report.map((p) => p.person));
    expect(dealt.calibration.some((p) => report.has(p.person))).toBe(false);
    expect(sliceOf('user-7', ['calibration', 'report'])).toBe(sliceOf('user-7', ['calibration', 'report']));
    expect(sliceOf('user-7', ['report'])).toBe('report');
  });
});
