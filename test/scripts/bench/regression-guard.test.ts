import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow } from '../../../scripts/bench/bench-report';
import {
  type BenchBaseline,
  baselineOf,
  checkAgainstBaseline,
} from '../../../scripts/bench/regression-guard';
import { ROOT } from '../../support/local-destination';

const row = (id: string, ratio: number): BenchRow => ({
  id,
  measure: id,
  ours: '-',
  baseline: '-',
  ratio,
  goal: '-',
});
const baseline: BenchBaseline = {
  machine: 'test',
  measuredAt: '2026-12-01T00:00:00.000Z',
  ratios: { 'core-100': 0.4, 'core-1': 0.3, plan: 0.9 },
};

describe('the bench regression guard', () => {
  it('passes ratios within the tolerance, fails a 2× regression, and fails a ratio the run lost', () => {
    const noisy = checkAgainstBaseline(
      baseline,
      [row('core-100', 0.33), row('core-1', 0.35), row('plan', 0.8)],
      0.25,
    );
    expect(noisy.every((l) => l.ok)).toBe(true);
    const halved = checkAgainstBaseline(
      baseline,
      [row('core-100', 0.2), row('core-1', 0.3), row('plan', 0.9)],
      0.4,
    );
    expect(halved.filter((l) => !l.ok).map((l) => l.id)).toEqual(['core-100']);
    const lost = checkAgainstBaseline(baseline, [row('core-1', 0.3), row('plan', 0.9)], 0.25);
    expect(lost.find((l) => l.id === 'core-100')).toMatchObject({ ok: false, now: undefined });
  });

  it('keeps a baseline of the ratios only, rounded', () => {
    expect(
      baselineOf([[row('core-100', 0.41234), { ...row('cold', 1), ratio: undefined }]], 'm', 't').ratios,
    ).toEqual({ 'core-100': 0.412 });
  });

  it('takes each ratio’s median over the runs, so one lucky or unlucky run does not set the bar', () => {
    const runs = [
      [row('core-100', 0.6), row('core-1', 0.42)],
      [row('core-100', 0.65), row('core-1', 0.35)],
      [row('core-100', 0.7), row('core-1', 0.36)],
    ];

    expect(baselineOf(runs, 'm', 't').ratios).toEqual({ 'core-100': 0.65, 'core-1': 0.36 });
    expect(baselineOf(runs.slice(0, 2), 'm', 't').ratios).toEqual({ 'core-100': 0.625, 'core-1': 0.385 });
  });

  it('the committed baseline names the guarded ratios', () => {
    const committed = JSON.parse(
      readFileSync(join(ROOT, 'scripts', 'bench', 'baseline.json'), 'utf8'),
    ) as BenchBaseline;
    expect(Object.keys(committed.ratios).sort()).toEqual(['core-1', 'core-100', 'plan']);
  });
});
