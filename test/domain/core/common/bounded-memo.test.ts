import { boundedMemo } from '../../../../domain/core/common/bounded-memo';

describe('boundedMemo', () => {
  it('computes each key once while it holds at most maxEntries answers, then starts afresh', () => {
    const calls: number[] = [];
    const square = boundedMemo(3, (n: number) => {
      calls.push(n);
      return n * n;
    });

    expect([1, 2, 3, 1, 2, 3].map(square)).toEqual([1, 4, 9, 1, 4, 9]);
    expect(calls).toEqual([1, 2, 3]);
    expect(square(4)).toBe(16); // the fourth key: the memo is full, so it starts afresh with 4
    expect(square(1)).toBe(1);
    expect(calls).toEqual([1, 2, 3, 4, 1]);
  });

  it('remembers an undefined answer too', () => {
    let calls = 0;
    const none = boundedMemo(10, () => {
      calls += 1;
      return undefined;
    });

    none('x');
    none('x');

    expect(calls).toBe(1);
  });
});
