import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIntent } from '../intent/run-intent';
import { writeCuratedPopulation } from './curated-population';
import { rssSampler } from './measure';

interface IntentStage {
  stage: string;
  seconds: number;
  peakRssMiB: number;
  detail: string;
}

export interface IntentBenchResult {
  users: number;
  days: number;
  /** Writing the curated table (setup, not an intent stage). */
  setup: IntentStage;
  /** The intent run's stages, as `npm run intent` reports them. */
  stages: IntentStage[];
  /** All the intent stages together, against the goal. */
  total: IntentStage;
  validationAuc: number;
  /** Users the models trained on, and the training stage's seconds per 100,000 of them (linear in rows). */
  trainedUsers: number;
  trainingSecondsPer100k: number;
}

/**
 * `npm run bench -- --only intent`: `npm run intent` at scale. The customer's curated table is written
 * directly (no HTTP, no compaction: scripts/bench/curated-population.ts), then the intent run's stages —
 * choosing features, the training samples, training and validation, scoring every user — each with its
 * time and this process's peak resident memory (DuckDB and the models both live in it).
 */
export async function benchIntent(
  users: number,
  days = 90,
  onStep: (s: string) => void = () => {},
): Promise<IntentBenchResult> {
  const lake = mkdtempSync(join(tmpdir(), 'bench-intent-'));
  const memory = rssSampler();
  try {
    onStep(`writing ${users.toLocaleString('en-US')} users × ${days} days`);
    let started = performance.now();
    const written = await writeCuratedPopulation({
      lakeRoot: lake,
      customer: 'demo',
      users,
      days,
      end: '2026-03-31',
    });
    const setup: IntentStage = {
      stage: 'write curated (setup)',
      seconds: (performance.now() - started) / 1000,
      peakRssMiB: memory.reset(),
      detail: `${written.events.toLocaleString('en-US')} events`,
    };
    const stages: IntentStage[] = [];
    let current: string | undefined;
    const begin = performance.now();
    started = begin;
    let overallPeak = 0;
    const close = () => {
      if (current === undefined) return;
      const peak = memory.reset();
      overallPeak = Math.max(overallPeak, peak);
      stages.push({
        stage: current,
        seconds: (performance.now() - started) / 1000,
        peakRssMiB: peak,
        detail: '',
      });
    };
    const report = await runIntent({
      lakeRoot: lake,
      customer: 'demo',
      event: 'signed_up',
      onStep: (step) => {
        close();
        current = step;
        started = performance.now();
        onStep(step);
      },
    });
    close();
    stages.at(-1)!.detail = `${report.scored.users.toLocaleString('en-US')} scored`;
    const trainStage = stages.find((s) => s.stage.startsWith('training'));
    if (trainStage)
      trainStage.detail = `${report.training.users.toLocaleString('en-US')} trained, ${report.chosen}, AUC ${report.validationAuc.toFixed(3)}`;
    return {
      users,
      days,
      setup,
      stages,
      total: {
        stage: 'all intent stages',
        seconds: (performance.now() - begin) / 1000,
        peakRssMiB: overallPeak,
        detail: `${report.scored.users.toLocaleString('en-US')} scored`,
      },
      validationAuc: report.validationAuc,
      trainedUsers: report.training.users,
      // Both models on the training slice (the regression once per penalty, the trees until they stop early).
      trainingSecondsPer100k: ((trainStage?.seconds ?? 0) * 100_000) / Math.max(1, report.training.users),
    };
  } finally {
    memory.stop();
    rmSync(lake, { recursive: true, force: true });
  }
}
