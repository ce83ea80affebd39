import { alignedTable } from '../../cli/table';
import type { QueryResult } from '../../local/lake-query';

const text = (value: unknown) =>
  value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
const isNumber = (value: unknown) =>
  typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));

/** An aligned table with a header; columns whose every value is a number are right-aligned. */
export function resultTable(result: QueryResult): string {
  if (result.rows.length === 0) return `${result.columns.join('  ')}\n(no rows)`;
  const right = result.columns
    .map((c, i) => (result.rows.every((r) => r[c] === null || isNumber(r[c])) ? i : -1))
    .filter((i) => i >= 0);
  return `${alignedTable([result.columns, ...result.rows.map((r) => result.columns.map((c) => text(r[c])))], { right })}\n(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
}

/** RFC 4180 CSV: a header, then the rows; fields with a comma, quote or line break are quoted. */
export function resultCsv(result: QueryResult): string {
  const field = (value: unknown) => {
    const t = text(value);
    return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  return [result.columns.map(field), ...result.rows.map((r) => result.columns.map((c) => field(r[c])))]
    .map((line) => line.join(','))
    .join('\r\n');
}
