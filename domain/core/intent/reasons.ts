/** Reasons a person's score holds at most: the strongest shares of their log-odds. */
export const REASONS_PER_PERSON = 3;

/** One reason behind a score: a feature and its share of the person's log-odds (+: more likely). */
export interface Reason {
  feature: string;
  /** The person's value of the feature at the scoring date. */
  value: number;
  contribution: number;
}

/**
 * A person's reasons: the features whose shares (Model.contributions, in `columns` order) move their
 * log-odds furthest from the average user's, either way, strongest first; a share of 0 is no reason.
 * Ties go by the feature's name in byte order, as SQL's ORDER BY does. Shares are kept to six decimals
 * (a millionth of a log-odds moves no probability that is reported).
 */
export function topReasons(
  columns: readonly string[],
  values: readonly number[],
  shares: readonly number[],
): Reason[] {
  return shares
    .map((contribution, j) => ({
      feature: columns[j]!,
      value: values[j]!,
      contribution: Number(contribution.toFixed(6)),
    }))
    .filter((r) => r.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.feature < b.feature ? -1 : 1))
    .slice(0, REASONS_PER_PERSON);
}

/** What a feature counts, in words: `page_pricing` → "views of the page /pricing". */
export function featureInWords(feature: string): string {
  return feature.startsWith('page_')
    ? `views of the page /${feature.slice(5).replace(/_/g, '/')}`
    : feature.startsWith('key_')
      ? `"${feature.slice(4)}" events`
      : feature.replace(/_/g, ' ');
}

/** A person's reason in words: "views of the page /pricing: 12 → more likely (+0.41 log-odds)". */
export function reasonInWords(reason: Reason): string {
  const sign = reason.contribution > 0 ? '+' : '−';
  return `${featureInWords(reason.feature)}: ${Number(reason.value.toFixed(2))} → ${reason.contribution > 0 ? 'more' : 'less'} likely (${sign}${Math.abs(reason.contribution).toFixed(2)} log-odds)`;
}
