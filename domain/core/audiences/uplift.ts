/**
 * Incremental lift of acting on an audience, measured honestly: the conversion rate of the `target`
 * group against the `holdout` group that was left alone (two independent proportions).
 *
 * - Interval: Newcombe's hybrid score interval for a difference of proportions (his method 10, from
 *   two Wilson score intervals; Newcombe 1998, "Interval estimation for the difference between
 *   independent proportions", Statistics in Medicine 17:873–890). Unlike the textbook Wald interval it
 *   keeps close to its 95 % coverage with the small rates and small holdouts audiences have.
 * - p-value: the two-sided pooled z-test of equal proportions.
 * - Enough data: each group at least the sample size to detect the minimum detectable effect (a 20 %
 *   relative uplift on the holdout's rate) at α = 0.05 with 80 % power (the normal approximation for
 *   two proportions, Fleiss), and at least 10 conversions in each group.
 */
interface GroupOutcome {
  users: number;
  converted: number;
}

export interface Uplift {
  target: GroupOutcome & { rate: number };
  holdout: GroupOutcome & { rate: number };
  uplift: {
    /** target rate − holdout rate. */
    absolute: number;
    /** absolute ÷ holdout rate (NaN while the holdout has no conversion). */
    relative: number;
    /** 95 % interval of the absolute difference (Newcombe's hybrid score method). */
    ci95: [number, number];
  };
  pValue: number;
  /** Users each group needs to detect the minimum detectable effect; enough when both have them. */
  needed: { perGroup: number; minimumDetectableEffect: number };
  enoughData: boolean;
}

const Z95 = 1.959963984540054;
const Z80 = 0.8416212335729143;
/** The smallest uplift worth detecting, relative to the holdout's rate. */
const MINIMUM_DETECTABLE_RELATIVE_UPLIFT = 0.2;
const MIN_CONVERSIONS_PER_GROUP = 10;

/**
 * Wilson's score interval of one proportion.
 *
 * @internal
 */
export function wilson(converted: number, users: number, z = Z95): [number, number] {
  if (users === 0) return [0, 1];
  const p = converted / users;
  const denominator = 1 + (z * z) / users;
  const centre = (p + (z * z) / (2 * users)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / users + (z * z) / (4 * users * users))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** @internal */
export function uplift(target: GroupOutcome, holdout: GroupOutcome): Uplift {
  const p1 = target.converted / Math.max(1, target.users);
  const p2 = holdout.converted / Math.max(1, holdout.users);
  const [l1, u1] = wilson(target.converted, target.users);
  const [l2, u2] = wilson(holdout.converted, holdout.users);
  const d = p1 - p2;
  const low = d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2);
  const high = d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2);
  const pooled = (target.converted + holdout.converted) / Math.max(1, target.users + holdout.users);
  const se = Math.sqrt(
    pooled * (1 - pooled) * (1 / Math.max(1, target.users) + 1 / Math.max(1, holdout.users)),
  );
  const pValue = se === 0 ? 1 : 2 * (1 - normalCdf(Math.abs(d) / se));
  // Sample size per group for the minimum detectable effect (Fleiss, without continuity correction).
  const base = Math.max(p2, 1 / Math.max(1, holdout.users));
  const effect = Math.min(1 - base, base * MINIMUM_DETECTABLE_RELATIVE_UPLIFT);
  const q1 = base + effect;
  const mean = (base + q1) / 2;
  const perGroup = Math.ceil(
    (Z95 * Math.sqrt(2 * mean * (1 - mean)) + Z80 * Math.sqrt(base * (1 - base) + q1 * (1 - q1))) ** 2 /
      effect ** 2,
  );
  const enoughData =
    target.users >= perGroup &&
    holdout.users >= perGroup &&
    target.converted >= MIN_CONVERSIONS_PER_GROUP &&
    holdout.converted >= MIN_CONVERSIONS_PER_GROUP;
  return {
    target: { ...target, rate: p1 },
    holdout: { ...holdout, rate: p2 },
    uplift: { absolute: d, relative: p2 > 0 ? d / p2 : Number.NaN, ci95: [low, high] },
    pValue,
    needed: { perGroup, minimumDetectableEffect: effect },
    enoughData,
  };
}

/**
 * The standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, |error| < 1.5e-7).
 *
 * @internal
 */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** One row of the conversions query (audience-sql.ts): members of a group by day of first conversion. */
export interface ConversionCount {
  group: string;
  /** NULL: not converted since the start. */
  first_day: string | null;
  users: number;
  /** The version of the members' first assignment (intent to treat). */
  firstVersion?: number;
}

/** The conversions query's rows as an engine returns them (Athena: every value as text). */
export function conversionCounts(rows: readonly Record<string, unknown>[]): ConversionCount[] {
  return rows.map((r) => ({
    group: String(r.group),
    first_day: r.first_day === null || r.first_day === undefined ? null : String(r.first_day),
    users: Number(r.users),
    ...(r.first_version === undefined || r.first_version === null
      ? {}
      : { firstVersion: Number(r.first_version) }),
  }));
}

/** How many members each version brought in (their first assignment), per group. */
export function enteredByVersion(
  counts: readonly ConversionCount[],
): { version: number; target: number; holdout: number }[] {
  const byVersion = new Map<number, { version: number; target: number; holdout: number }>();
  for (const c of counts) {
    if (c.firstVersion === undefined) continue;
    const row = byVersion.get(c.firstVersion) ?? { version: c.firstVersion, target: 0, holdout: 0 };
    if (c.group === 'target' || c.group === 'holdout') row[c.group] += c.users;
    byVersion.set(c.firstVersion, row);
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/**
 * The lift of an audience from its conversion counts: each group's totals, the uplift between them,
 * and per day of first conversion each group's cumulative rate (the curves of the lift page).
 */
export function liftFromConversions(counts: readonly ConversionCount[]): Uplift & {
  daily: { day: string; group: string; rate: number }[];
} {
  const total = (group: string, converted: boolean) =>
    counts
      .filter((r) => r.group === group && (!converted || r.first_day !== null))
      .reduce((n, r) => n + r.users, 0);
  const groups = ['target', 'holdout'].map((group) => ({
    group,
    users: total(group, false),
    converted: total(group, true),
  }));
  const days = [...new Set(counts.flatMap((r) => (r.first_day === null ? [] : [r.first_day])))].sort();
  const daily = days.flatMap((day) =>
    groups.map(({ group, users }) => {
      const converted = counts
        .filter((r) => r.group === group && r.first_day !== null && r.first_day <= day)
        .reduce((n, r) => n + r.users, 0);
      return { day, group, rate: converted / Math.max(1, users) };
    }),
  );
  return { ...uplift(groups[0]!, groups[1]!), daily };
}
