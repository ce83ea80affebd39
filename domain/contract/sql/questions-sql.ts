import { CURATED_TABLE } from '../curated-table';
import { COMPLETENESS_VIEW, CURATED_COMPLETENESS_VIEW, type TableRef } from './lake-views-sql';
import { literal } from './sql-text';

/**
 * The canned questions of `npm run query` (`--completeness`, `--quarantine-reasons`, `--top-events`),
 * one SQL text for DuckDB over the local lake and for Athena (`--athena`): only the table names differ.
 */
export interface QuestionFilter {
  customer?: string | undefined;
  /** A UTC date, `YYYY-MM-DD`: receive days (completeness, quarantine) or event days (top events). */
  since?: string | undefined;
}

const where = (conditions: (string | false | undefined)[]) => {
  const kept = conditions.filter((c): c is string => typeof c === 'string');
  return kept.length ? `WHERE ${kept.join(' AND ')}` : '';
};

export const QUESTIONS = {
  /** Per customer and receive day: acknowledged, landed, missing, and present in the curated table. */
  completeness: (table: TableRef, f: QuestionFilter) =>
    'SELECT c.customer_id, c.dt AS received_dt, c.requests, c.accepted, c.landed, c.missing, c.erased, c.surplus, ' +
    'c.quarantined, coalesce(k.curated, 0) AS curated, coalesce(k.not_curated, c.accepted) AS not_curated ' +
    `FROM ${table(COMPLETENESS_VIEW)} c LEFT JOIN ${table(CURATED_COMPLETENESS_VIEW)} k ` +
    'ON k.customer_id = c.customer_id AND k.dt = c.dt ' +
    `${where([f.customer !== undefined && `c.customer_id = ${literal(f.customer)}`, f.since !== undefined && `c.dt >= ${literal(f.since)}`])} ` +
    'ORDER BY c.customer_id, c.dt',
  /** Why messages were quarantined, most frequent first. */
  'quarantine-reasons': (table: TableRef, f: QuestionFilter) =>
    `SELECT customer_id, reason.code AS reason, count(*) AS messages FROM ${table('quarantine')} ` +
    `${where([f.customer !== undefined && `customer_id = ${literal(f.customer)}`, f.since !== undefined && `received_dt >= ${literal(f.since)}`])} ` +
    'GROUP BY customer_id, reason.code ORDER BY messages DESC, customer_id, reason LIMIT 50',
  /** The most frequent track events of the curated table (one row per message), with their users. */
  'top-events': (table: TableRef, f: QuestionFilter) =>
    'SELECT customer_id, event, count(*) AS events, count(DISTINCT coalesce(user_id, anonymous_id)) AS users ' +
    `FROM ${table(CURATED_TABLE)} ` +
    `${where(["type = 'track'", f.customer !== undefined && `customer_id = ${literal(f.customer)}`, f.since !== undefined && `event_date >= DATE ${literal(f.since)}`])} ` +
    'GROUP BY customer_id, event ORDER BY events DESC, customer_id, event LIMIT 20',
} as const satisfies Record<string, (table: TableRef, filter: QuestionFilter) => string>;

export type Question = keyof typeof QUESTIONS;
