import { COMPLETENESS_COUNTS, COMPLETENESS_VIEW } from '../domain/contract/sql/lake-views-sql';
import { openLocalLake } from './lake-query';

/**
 * "Did all of it arrive?" per customer and receive day, from the `completeness` view — the one rule,
 * the SQL Athena runs too (domain/contract/sql/lake-views-sql.ts), here over the local lake's files.
 */
export type CompletenessRow = { customer_id: string; dt: string } & Record<
  (typeof COMPLETENESS_COUNTS)[number],
  number
>;

/** The completeness of every customer and receive day of the local lake at `lakeRoot`. */
export async function localCompleteness(lakeRoot: string): Promise<CompletenessRow[]> {
  const querier = await openLocalLake(lakeRoot);
  try {
    const { rows } = await querier.query(`SELECT * FROM ${COMPLETENESS_VIEW} ORDER BY customer_id, dt`);
    return rows.map((row) => ({
      customer_id: String(row.customer_id),
      dt: String(row.dt),
      ...(Object.fromEntries(COMPLETENESS_COUNTS.map((name) => [name, Number(row[name] ?? 0)])) as Record<
        (typeof COMPLETENESS_COUNTS)[number],
        number
      >),
    }));
  } finally {
    querier.close();
  }
}
