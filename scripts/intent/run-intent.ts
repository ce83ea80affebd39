import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INTENT_REPORTS_PREFIX, scoresPartitionPath, scoresPath } from '../../domain/contract/curated-table';
import { featuresSql } from '../../domain/contract/sql/intent-sql';
import { identifier, literal } from '../../domain/contract/sql/sql-text';
import { type FitResult, fitPlanned } from '../../domain/core/intent/fit-and-score';
import type { Model } from '../../domain/core/intent/models';
import { type IntentRun, MAX_TRAINING_USERS, prepareIntentRun } from '../../domain/core/intent/prepare-run';
import { type Reason, topReasons } from '../../domain/core/intent/reasons';
import {
  checkScoring,
  type ExpectedScores,
  type ScoreCheck,
  type SpreadRow,
  scoreSpreadSql,
} from '../../domain/core/intent/score-check';
import { duckdbScoresSql } from '../../domain/core/intent/score-sql';
import { openLocalLake } from '../../local/lake-query';

export interface IntentOptions {
  lakeRoot: string;
  customer: string;
  /** The conversion, in any spelling (`signed_up`, `Signed Up`): folded as ingest folds it. */
  event: string;
  aliases?: ReadonlyMap<string, string>;
  /** The scoring date (`YYYY-MM-DD`); default: the day after the customer's latest event. */
  asOf?: string;
  lookbackDays?: number;
  horizonDays?: number;
  /** Users a model trains on at most; above it, a seeded sample (said in the report). */
  maxTrainingUsers?: number;
  seed?: number;
  onStep?: (step: string) => void;
}

/** What `npm run intent` reports: the run's plan, the models' results, and where the scores are. */
export type IntentReport = Omit<IntentRun, 'spec' | 'columns'> &
  FitResult & {
    features: string[];
    /** The scores file, and the run's metadata (this report as JSON) where AWS keeps it too. */
    scored: { users: number; file: string; report: string; check: ScoreCheck; reasons: ReasonsSummary };
  };

/** The reasons behind the scores, for the report: no person named (the report outlives an erasure). */
interface ReasonsSummary {
  /** How many scored persons have each feature as their strongest reason, most first. */
  leading: { feature: string; persons: number }[];
  /** The highest scores' reasons, by rank (1: the highest), without the person. */
  highest: { rank: number; probability: number; reasons: Reason[] }[];
}

/** Persons explained at a time: their feature rows in JavaScript stay a few tens of MB. */
const EXPLAIN_CHUNK = 20_000;
/** Highest scores the report shows the reasons of. */
const REPORTED_HIGHEST = 10;

type FeatureRow = Record<string, string | number | null>;

/**
 * Lookalike intent scores for one customer and conversion event, over the local curated table:
 * planned as on AWS (domain/core/intent/prepare-run.ts), features from DuckDB at two to four cutoffs a
 * horizon apart, dealt into the slices of domain/core/intent/slices.ts, and the modelling of
 * domain/core/intent/fit-and-score.ts; the scores are checked before they replace anything. Scores land as Parquet under
 * `scores/customer_id=<id>/event_key=<key>/as_of=<date>/`.
 */
export async function runIntent(options: IntentOptions): Promise<IntentReport> {
  const step = options.onStep ?? (() => {});
  const lake = await openLocalLake(options.lakeRoot);
  const table = (n: string) => n;
  try {
    step('choosing features');
    const plan = await prepareIntentRun(async (sql) => (await lake.query(sql)).rows, 'duckdb', table, {
      customer: options.customer,
      event: options.event,
      ...(options.aliases ? { aliases: options.aliases } : {}),
      asOf: options.asOf,
      ...(options.lookbackDays ? { lookbackDays: options.lookbackDays } : {}),
      ...(options.horizonDays ? { horizonDays: options.horizonDays } : {}),
    });
    const maxUsers = options.maxTrainingUsers ?? MAX_TRAINING_USERS;
    // The training samples drawn in SQL, as on AWS, before any feature is computed: at most maxUsers
    // rows reach JavaScript, whatever the population; the users to score never do (DuckDB scores them
    // with the model's SQL).
    const sample = async (cutoff: string) =>
      (await lake.query(featuresSql('duckdb', table, plan.spec(cutoff), maxUsers))).rows as FeatureRow[];

    step(
      `features at ${plan.cutoffs.map((c) => `${c.cutoff} (${c.slices.join(', ')})`).join(', ')}${plan.shortHistory ? ': a short history' : ''}`,
    );
    const sets: FeatureRow[][] = [];
    for (const { cutoff } of plan.cutoffs) sets.push(await sample(cutoff));

    step('training, calibrating and choosing between two models');
    const { final, ...fitted } = fitPlanned(plan, sets, { maxUsers, seed: options.seed ?? 7 });
    step(`scoring every user at ${plan.asOf} in DuckDB (${fitted.chosen}), each with their reasons`);
    const file = join(options.lakeRoot, scoresPath(options.customer, plan.eventKey, plan.asOf));
    const {
      users: scoredUsers,
      check,
      reasons,
    } = await writeScores(lake, options.lakeRoot, file, {
      featuresSelect: featuresSql('duckdb', table, plan.spec(plan.asOf)),
      model: final,
      columns: plan.columns,
      expected: fitted.expectedScores,
    });
    const { spec: _spec, columns, ...dates } = plan;
    const report = fitted;
    // The run's metadata where the AWS job writes it (not beside the scores: the table reads that folder).
    const reportFile = join(
      options.lakeRoot,
      `${INTENT_REPORTS_PREFIX}${scoresPartitionPath(options.customer, plan.eventKey, plan.asOf)}report.json`,
    );
    const result: IntentReport = {
      ...dates,
      features: columns,
      ...report,
      scored: { users: scoredUsers, file, report: reportFile, check, reasons },
    };
    mkdirSync(dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    lake.close();
  }
}

/**
 * Scores to Parquet by DuckDB (the model's SQL) with each person's reasons (the model's contributions,
 * computed in JavaScript a chunk of persons at a time from the same features), written beside the
 * target, checked against the report slice's spread (score-check.ts), and only then renamed into place:
 * a refused scoring leaves the date's earlier scores, if any, as they were.
 */
async function writeScores(
  lake: Awaited<ReturnType<typeof openLocalLake>>,
  lakeRoot: string,
  file: string,
  scoring: { featuresSelect: string; model: Model; columns: string[]; expected: ExpectedScores },
): Promise<{ users: number; check: ScoreCheck; reasons: ReasonsSummary }> {
  // Staged inside the lake, so the rename stays on one file system (atomic, never a copy).
  mkdirSync(join(lakeRoot, 'scores'), { recursive: true });
  const work = mkdtempSync(join(lakeRoot, 'scores', '.staging-'));
  try {
    // The features once, numbered by person: the scoring and the explaining read the same rows.
    const features = literal(join(work, 'features.parquet'));
    await lake.write(
      `COPY (SELECT *, row_number() OVER (ORDER BY person) AS explain_row FROM (${scoring.featuresSelect})) TO ${features} (FORMAT parquet)`,
    );
    const reasonsFile = join(work, 'reasons.jsonl');
    writeFileSync(reasonsFile, '');
    const leading = new Map<string, number>();
    const { total } = (await lake.query(`SELECT count(*) AS total FROM read_parquet(${features})`))
      .rows[0] as {
      total: number | string;
    };
    for (let start = 0; start < Number(total); start += EXPLAIN_CHUNK) {
      const { rows } = await lake.query(
        `SELECT person, ${scoring.columns.map(identifier).join(', ')} FROM read_parquet(${features}) WHERE explain_row > ${start} AND explain_row <= ${start + EXPLAIN_CHUNK}`,
      );
      const vectors = rows.map((r) => scoring.columns.map((c) => Number(r[c] ?? 0)));
      const shares = scoring.model.contributions(vectors);
      const lines = rows.map((r, i) => {
        const reasons = topReasons(scoring.columns, vectors[i]!, shares[i]!);
        if (reasons[0]) leading.set(reasons[0].feature, (leading.get(reasons[0].feature) ?? 0) + 1);
        return JSON.stringify({ person: r.person, reasons: JSON.stringify(reasons) });
      });
      appendFileSync(reasonsFile, lines.map((line) => `${line}\n`).join(''));
    }
    const explained = `SELECT f.*, r.reasons FROM read_parquet(${features}) AS f LEFT JOIN read_json(${literal(reasonsFile)}, format = 'newline_delimited', columns = {person: 'VARCHAR', reasons: 'VARCHAR'}) AS r USING (person)`;
    const staged = join(work, 'scores.parquet');
    await lake.write(
      `COPY (${duckdbScoresSql(explained, scoring.model.sql(scoring.columns))}) TO ${literal(staged)} (FORMAT parquet)`,
    );
    const spread = (await lake.query(scoreSpreadSql(`read_parquet(${literal(staged)})`, scoring.expected)))
      .rows as unknown as SpreadRow[];
    const check = checkScoring(scoring.expected, spread);
    if (check.refused) throw new Error(`the scoring is refused: ${check.refused}`);
    const highest = (
      await lake.query(
        `SELECT probability, reasons FROM read_parquet(${literal(staged)}) ORDER BY probability DESC, person LIMIT ${REPORTED_HIGHEST}`,
      )
    ).rows.map((r, i) => ({
      rank: i + 1,
      probability: Number(r.probability),
      reasons: JSON.parse(String(r.reasons ?? '[]')) as Reason[],
    }));
    mkdirSync(dirname(file), { recursive: true });
    renameSync(staged, file);
    return {
      users: check.users,
      check,
      reasons: {
        leading: [...leading.entries()]
          .map(([feature, persons]) => ({ feature, persons }))
          .sort((a, b) => b.persons - a.persons || a.feature.localeCompare(b.feature)),
        highest,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
