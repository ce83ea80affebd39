import { type CpuProfile, profileLines } from '../../../scripts/bench/profile-core';

describe('profileLines: where the time went, from a V8 CPU profile', () => {
  it('gives each function its own share and its share with what it called, largest own share first', () => {
    // root → main → parse, main → stringify; main itself 1 sample, parse 6, stringify 3 (10 in all).
    const frame = (functionName: string) => ({ functionName, url: '' });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('main'), children: [3, 4] },
        { id: 3, callFrame: frame('parse') },
        { id: 4, callFrame: frame('stringify') },
      ],
      samples: [2, 3, 3, 3, 3, 3, 3, 4, 4, 4],
      timeDeltas: Array.from({ length: 10 }, () => 100),
    };

    const lines = profileLines(profile);

    expect(lines.map((l) => [l.frame, l.self, l.total])).toEqual([
      ['parse', 0.6, 0.6],
      ['stringify', 0.3, 0.3],
      ['main', 0.1, 1],
    ]);
  });
});
