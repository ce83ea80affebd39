import { AUDIENCES_TABLE } from '../audiences';
import { SCORES_TABLE, STAGING_TABLE } from '../curated-table';
import { ERASE_IDS_TABLE } from '../erasure';
import { LAKE_AREAS, PARTITIONED_BY_CUSTOMER } from '../lake-areas';
import { COMPLETENESS_VIEW, CURATED_COMPLETENESS_VIEW, INTENT_OUTCOMES_VIEW } from './lake-views-sql';

/**
 * The rules of Athena (engine 3, Trino) that the statements we send rely on, each with the page that
 * states it. docs/athena-rules.md explains them; test/contract/athena-rules.test.ts evaluates every
 * statement the stack, the functions and the scripts can send, parses it with a Trino grammar and checks
 * it against the rules code can see (`athenaRuleViolations`); the rest are enforced where they apply.
 */
export const ATHENA_RULES = {
  injectedProjection: {
    rule: 'a table whose partition key is an injected projection is read only with static equality conditions (= or IN of literals) on that key',
    url: 'https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html',
  },
  partitionsPerStatement: {
    limit: 100,
    rule: 'CTAS, INSERT INTO and MERGE write at most 100 partitions per statement',
    url: 'https://docs.aws.amazon.com/athena/latest/ug/ctas-insert-into.html',
  },
  queryStringBytes: {
    limit: 262_144,
    rule: 'a query string is at most 262,144 bytes',
    url: 'https://docs.aws.amazon.com/athena/latest/ug/service-limits.html',
  },
  dmlConcurrency: {
    limit: 20,
    rule: 'an account runs 20 active DML queries at once by default (25 in some regions)',
    url: 'https://docs.aws.amazon.com/athena/latest/ug/service-limits.html',
  },
  dmlTimeout: {
    minutes: 30,
    rule: 'a DML query runs for at most 30 minutes by default',
    url: 'https://docs.aws.amazon.com/athena/latest/ug/service-limits.html',
  },
  icebergIsolation: {
    rule: 'Iceberg writes use snapshot isolation with optimistic concurrency: two writers may both commit inserts of the same key, so writes to one table are serialized by us',
    url: 'https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg.html',
  },
  prunablePredicates: {
    rule: 'Trino does not push a row-value comparison ((a, b) IN ((…), …)) into the table scan: a statement that selects partitions with one also names them with plain conjuncts (customer_id IN (…) AND event_date IN (…)), which it prunes',
    url: 'https://github.com/trinodb/trino/issues/25638',
  },
  minimumBilling: {
    bytes: 10 * 1024 * 1024,
    rule: 'every query is billed for at least 10 MB scanned, at $5 per TB',
    url: 'https://aws.amazon.com/athena/pricing/',
  },
} as const;

/**
 * The tables whose `customer_id` is an injected projection (lib/lake-catalog.ts), and the views of the
 * catalog that read one (test/contract/athena-rules.test.ts checks this list against the views the
 * stack defines): a query of any of them must name its customers.
 *
 * @internal
 */
export const INJECTED_CUSTOMER_TABLES = [
  ...LAKE_AREAS.filter((area) => PARTITIONED_BY_CUSTOMER[area]),
  ...LAKE_AREAS.map((area) => `${area}_v1`),
  STAGING_TABLE,
  ERASE_IDS_TABLE,
  SCORES_TABLE,
  AUDIENCES_TABLE,
  'events_deduplicated',
  COMPLETENESS_VIEW,
  CURATED_COMPLETENESS_VIEW,
  INTENT_OUTCOMES_VIEW,
  'data_quality',
  'plan_violations',
] as const;

// `customer_id = '<literal>'`, `= ?` (an execution parameter, substituted before planning) or `IN (…)`.
const STATIC_CUSTOMER =
  /\bcustomer_id"?\s*(=\s*('(?:[^']|'')*'|\?)|IN\s*\(\s*'(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*\s*\))/i;

const ROW_VALUE_DAYS = /\((\w+)\.customer_id, \1\.event_date\) IN \(/g;

/**
 * The rules a statement breaks that its text shows: its size, and a read of a table with an injected
 * customer key without a static condition on it. (A statement that reads such a table several times
 * needs the condition in each read; this check asks for one per statement, which the builders give.) And
 * a row-value comparison of partitions without the plain conjuncts Trino can push into the scan.
 *
 * @example athenaRuleViolations('SELECT * FROM db.events') // ['injectedProjection: …']
 */
export function athenaRuleViolations(sql: string): string[] {
  const found: string[] = [];
  if (Buffer.byteLength(sql) > ATHENA_RULES.queryStringBytes.limit)
    found.push(
      `queryStringBytes: ${Buffer.byteLength(sql)} bytes, over ${ATHENA_RULES.queryStringBytes.limit}`,
    );
  // A row-value comparison on (customer_id, event_date) needs the plain conjuncts beside it, on the same alias.
  for (const [, alias] of sql.matchAll(ROW_VALUE_DAYS)) {
    const plain = new RegExp(
      `\\b${alias}\\.customer_id IN \\([^()]*\\) AND ${alias}\\.event_date IN \\([^()]*\\)`,
    );
    if (!plain.test(sql))
      found.push(
        `prunablePredicates: (${alias}.customer_id, ${alias}.event_date) IN (…) without plain conjuncts on both (${ATHENA_RULES.prunablePredicates.url})`,
      );
  }
  for (const table of INJECTED_CUSTOMER_TABLES) {
    const read = new RegExp(`\\b(FROM|JOIN|USING)\\s+(("?\\w+"?)\\.)?"?${table}"?(\\s|$|\\))`, 'i');
    if (read.test(sql) && !STATIC_CUSTOMER.test(sql))
      found.push(
        `injectedProjection: reads ${table} without customer_id = '<literal>' (${ATHENA_RULES.injectedProjection.url})`,
      );
  }
  return found;
}

/** Where the workgroup writes query results in the results bucket (lib/lake-catalog.ts): `<id>.csv`. */
export const ATHENA_RESULTS_PREFIX = 'athena/';
