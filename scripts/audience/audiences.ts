import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../adapters/local/atomic-file';
import {
  AUDIENCE_MEMBERS_FILE,
  AUDIENCES_TABLE,
  type AudienceDefinition,
  audienceFolder,
  audienceMembersPath,
} from '../../domain/contract/audiences';
import { INTENT_REPORTS_PREFIX, scoresPartitionPath } from '../../domain/contract/curated-table';
import {
  type AudienceVersionSpec,
  audienceChangeSql,
  audienceConversionsSql,
  audienceMembersSql,
  latestScoringSql,
} from '../../domain/contract/sql/audience-sql';
import { literal } from '../../domain/contract/sql/sql-text';
import { audienceVersion } from '../../domain/core/audiences/membership';
import {
  conversionCounts,
  enteredByVersion,
  liftFromConversions,
  type Uplift,
} from '../../domain/core/audiences/uplift';
import { notRecommended } from '../../domain/core/intent/model-quality';
import { normalizeEventName } from '../../domain/core/messages/normalize-event-name';
import { definitionFile, listDefinitions, readDefinition } from '../../local/audience-definitions';
import { openLocalLake } from '../../local/lake-query';

export { listDefinitions, readDefinition };

/** What the user asked for is not there yet: exit 1 with the command that makes it. */
export class MissingInput extends Error {}

/**
 * The scoring an audience would be built from was graded Poor (its run's report says not to act on it):
 * `create` refuses it unless forced; `refresh` keeps the audience's last version.
 */
export class PoorScoring extends MissingInput {
  constructor(
    readonly asOf: string,
    readonly grade: string,
  ) {
    super(
      `the scoring of ${asOf} is graded ${grade}: its scores predict little better than chance (docs/intent.md, "Quality grade")`,
    );
  }
}

/** What the intent run's report says against a scoring (nothing for a scoring without one). */
export function scoringVerdict(lakeRoot: string, customer: string, eventKey: string, asOf: string) {
  const file = join(
    lakeRoot,
    `${INTENT_REPORTS_PREFIX}${scoresPartitionPath(customer, eventKey, asOf)}report.json`,
  );
  if (!existsSync(file)) return undefined;
  return notRecommended(JSON.parse(readFileSync(file, 'utf8')));
}

type Lake = Awaited<ReturnType<typeof openLocalLake>>;

/** Locally a table is the DuckDB view of its name. */
const localTable = (name: string) => name;

/** The latest scoring date of (customer, event key): audiences are built from it. */
async function latestScoring(lake: Lake, customer: string, event: string, eventKey: string) {
  const [latest] = (await lake.query(latestScoringSql(localTable, customer, eventKey))).rows;
  if (!latest?.d)
    throw new MissingInput(
      `no scores of "${event}" for ${customer}: run npm run intent -- --customer ${customer} --event ${JSON.stringify(event)} first`,
    );
  return String(latest.d);
}

/** A version's members as Parquet (the SQL Athena UNLOADs on AWS), staged beside the target and renamed into place. */
async function writeMembers(lake: Lake, file: string, spec: AudienceVersionSpec) {
  mkdirSync(dirname(file), { recursive: true });
  const work = mkdtempSync(join(dirname(file), '.staging-'));
  try {
    const staged = join(work, AUDIENCE_MEMBERS_FILE);
    await lake.write(
      `COPY (${audienceMembersSql('duckdb', localTable, spec)} ORDER BY percentile DESC) TO ${literal(staged)} (FORMAT parquet)`,
    );
    renameSync(staged, file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Builds (or, with `refresh`, rebuilds from the latest scores) an audience: the users in the top
 * `top` % of percentiles, each in target or holdout by a keyed hash, as a new version.
 */
export async function buildAudience(options: {
  lakeRoot: string;
  customer: string;
  name: string;
  event?: string;
  top?: number;
  holdout?: number;
  refresh: boolean;
  now: Date;
  /** Build even from a scoring graded Poor. */
  force?: boolean;
}): Promise<AudienceDefinition> {
  const existing = readDefinition(options.lakeRoot, options.customer, options.name);
  if (options.refresh && !existing)
    throw new MissingInput(
      `no audience ${options.name} for ${options.customer}: create it first with npm run audience -- create`,
    );
  if (!options.refresh && existing)
    throw new MissingInput(
      `audience ${options.name} of ${options.customer} exists (version ${existing.versions.length}): refresh it with npm run audience -- refresh, or delete it first`,
    );
  const event = existing?.event ?? options.event!;
  const top = existing?.top ?? options.top!;
  const holdout = existing?.holdout ?? options.holdout!;
  const eventKey = normalizeEventName(event).key;
  const createdAt = options.now.toISOString();
  const version = (existing?.versions.length ?? 0) + 1;
  let asOf: string;
  const lake = await openLocalLake(options.lakeRoot);
  try {
    asOf = await latestScoring(lake, options.customer, event, eventKey);
    const poor = scoringVerdict(options.lakeRoot, options.customer, eventKey, asOf);
    if (poor && !options.force) throw new PoorScoring(asOf, poor.grade);
    await writeMembers(
      lake,
      join(options.lakeRoot, audienceMembersPath(options.customer, options.name, version)),
      {
        customer: options.customer,
        eventKey,
        asOf,
        name: options.name,
        top,
        holdout,
        createdAt,
        version,
      },
    );
  } finally {
    lake.close();
  }
  // A new lake: its audiences view sees the version just written.
  const after = await openLocalLake(options.lakeRoot);
  let change: Record<string, unknown>;
  try {
    [change = {}] = (
      await after.query(audienceChangeSql(localTable, options.customer, options.name, version))
    ).rows;
  } finally {
    after.close();
  }
  const definition: AudienceDefinition = {
    version: 1,
    name: options.name,
    customer_id: options.customer,
    event,
    event_key: eventKey,
    top,
    holdout,
    created_at: existing?.created_at ?? createdAt,
    versions: [...(existing?.versions ?? []), audienceVersion(version, asOf, createdAt, change)],
  };
  // The definition last: a version whose members were not written never appears in it.
  writeFileAtomic(
    definitionFile(options.lakeRoot, options.customer, options.name),
    `${JSON.stringify(definition, null, 2)}\n`,
  );
  return definition;
}

/** Removes an audience: its members of every version and its definition. */
export function deleteAudience(lakeRoot: string, customer: string, name: string): void {
  if (!readDefinition(lakeRoot, customer, name))
    throw new MissingInput(`no audience ${name} for ${customer}: npm run audience -- list shows them`);
  rmSync(join(lakeRoot, audienceFolder(customer, name)), { recursive: true, force: true });
}

/** Sizes and percentiles per group of the latest version. */
export async function audienceGroups(lakeRoot: string, definition: AudienceDefinition) {
  const lake = await openLocalLake(lakeRoot);
  try {
    const version = definition.versions.length;
    const { rows } = await lake.query(
      `SELECT "group", count(*) AS users, min(percentile) AS low, median(percentile) AS median, max(percentile) AS high FROM ${AUDIENCES_TABLE} WHERE customer_id = ${literal(definition.customer_id)} AND audience = ${literal(definition.name)} AND version = ${version} GROUP BY 1 ORDER BY 1 DESC`,
    );
    return rows.map((r) => ({
      group: String(r.group),
      users: Number(r.users),
      low: Number(r.low),
      median: Number(r.median),
      high: Number(r.high),
    }));
  } finally {
    lake.close();
  }
}

/**
 * The incremental lift of an audience, by intent to treat: every member ever assigned, in the group of
 * their first assignment, each group's conversion on the predicted event from the later of their
 * assignment and `since` (the audience's creation by default), by the events' own date, over the
 * curated table.
 */
export type LiftReport = Uplift & {
  audience: string;
  customer: string;
  event: string;
  since: string;
  /** The audience's latest version; with `firstVersion`, only the members that version brought in. */
  version: number;
  firstVersion?: number;
  /** Members by the version of their first assignment, per group: who the lift counts (intent to treat). */
  entered: { version: number; target: number; holdout: number }[];
  /** Per day from `since`, each group's cumulative conversion rate (the curves of the lift page). */
  daily: { day: string; group: string; rate: number }[];
};

export async function audienceLift(
  lakeRoot: string,
  definition: AudienceDefinition,
  since?: string,
  /** Only the members first assigned in this version (default: everyone ever assigned). */
  firstVersion?: number,
): Promise<LiftReport> {
  const from = since ?? definition.created_at.slice(0, 10);
  const version = definition.versions.length;
  if (firstVersion !== undefined && (firstVersion < 1 || firstVersion > version))
    throw new MissingInput(`audience ${definition.name} has versions 1 to ${version}, not ${firstVersion}`);
  const lake = await openLocalLake(lakeRoot);
  try {
    // Per group, version of first assignment and day of first conversion (NULL: none yet), how many members.
    const { rows } = await lake.query(audienceConversionsSql(localTable, definition, from, firstVersion));
    const counts = conversionCounts(rows);
    const lift = liftFromConversions(counts);
    return {
      audience: definition.name,
      customer: definition.customer_id,
      event: definition.event,
      since: from,
      version,
      ...(firstVersion === undefined ? {} : { firstVersion }),
      entered: enteredByVersion(counts),
      ...lift,
    };
  } finally {
    lake.close();
  }
}

/**
 * What the numbers say, in one sentence: an interval clear of 0 is an effect whatever the planned
 * sample size; otherwise, below the size needed for the minimum detectable effect, there is not enough
 * data yet (and how much would be).
 */
export function liftVerdict(report: Uplift): string {
  const [low, high] = report.uplift.ci95;
  if (low > 0) return 'The audience converts more than its holdout: the effect is real at 95 %.';
  if (high < 0) return 'The audience converts less than its holdout at 95 %.';
  if (!report.enoughData)
    return `Not enough data yet: each group needs ${report.needed.perGroup} users and 10 conversions to detect a ${(report.needed.minimumDetectableEffect * 100).toFixed(2)}-point uplift (20 % relative) at 95 % with 80 % power.`;
  return 'No difference shown at 95 %: with this many users an uplift of 20 % would have shown.';
}
