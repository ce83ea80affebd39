import { dueAfterMs, type ErasureEntry } from '../../contract/erasure';

/** The requests to execute now, by customer (in the order first recorded). */
export function dueRequests(
  entries: readonly ErasureEntry[],
  now: number,
  windowHours: number,
  options: { all?: boolean; customerId?: string } = {},
): Map<string, ErasureEntry[]> {
  const pending = entries.filter(
    (e) =>
      e.status === 'pending' && (options.customerId === undefined || e.customer_id === options.customerId),
  );
  const byCustomer = new Map<string, ErasureEntry[]>();
  for (const entry of pending)
    byCustomer.set(entry.customer_id, [...(byCustomer.get(entry.customer_id) ?? []), entry]);
  const due = new Map<string, ErasureEntry[]>();
  for (const [customerId, list] of byCustomer) {
    const oldest = Math.min(...list.map((e) => Date.parse(e.received_at)));
    if (options.all || now - oldest >= dueAfterMs(windowHours)) due.set(customerId, list);
  }
  return due;
}

/** Athena's result CSV (quoted cells, `""` for a quote) as rows of cells, header first. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (c !== '\r') cell += c;
  }
  if (cell.length > 0 || row.length > 0) rows.push([...row, cell]);
  return rows;
}
