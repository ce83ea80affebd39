import {
  type AthenaClient,
  GetQueryExecutionCommand,
  paginateGetQueryResults,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';

/** A query's answer: its column names, and its rows (Athena gives every value as text). */
export interface AthenaResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface AthenaLakeOptions {
  athena: AthenaClient;
  workgroup: string;
  database: string;
  sleep?: (ms: number) => Promise<void>;
  /** Between two looks at a running query: Athena's small queries take a second or two. */
  pollMs?: number;
  /** A query still running after this is reported as failed (Athena's own DML limit is 30 min). */
  timeoutMs?: number;
}

/**
 * A statement through a workgroup, waited for, its rows read page by page: `npm run query --athena`'s
 * canned questions and the intent job's planning queries.
 */
export async function athenaQuery(sql: string, options: AthenaLakeOptions): Promise<AthenaResult> {
  const { athena } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: options.workgroup,
      QueryExecutionContext: { Database: options.database },
    }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new Error('Athena started no query');
  const pollMs = options.pollMs ?? 1_000;
  for (let waited = 0; ; waited += pollMs) {
    const status = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution
      ?.Status;
    if (status?.State === 'SUCCEEDED') break;
    if (status?.State === 'FAILED' || status?.State === 'CANCELLED')
      throw new Error(`Athena query ${id} ${status.State.toLowerCase()}: ${status.StateChangeReason ?? ''}`);
    if (waited >= (options.timeoutMs ?? 600_000)) throw new Error(`Athena query ${id} still running`);
    await sleep(pollMs);
  }
  let columns: string[] = [];
  const rows: Record<string, unknown>[] = [];
  let first = true;
  for await (const page of paginateGetQueryResults({ client: athena }, { QueryExecutionId: id })) {
    if (first) columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
    const data = page.ResultSet?.Rows ?? [];
    // The first row of the first page repeats the column names.
    for (const row of first ? data.slice(1) : data)
      rows.push(Object.fromEntries(columns.map((c, i) => [c, row.Data?.[i]?.VarCharValue ?? null])));
    first = false;
  }
  return { columns, rows };
}
