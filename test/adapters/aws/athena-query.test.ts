import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { athenaQuery } from '../../../adapters/aws/athena-query';
import { QUESTIONS } from '../../../domain/contract/sql/questions-sql';
import { mockAws } from '../../support/aws-mocks';

describe('npm run query --athena (mocked Athena)', () => {
  const athena = mockAws(AthenaClient);
  beforeEach(() => athena.reset());
  const options = {
    athena: new AthenaClient({}),
    workgroup: 'wg',
    database: 'lake_db',
    sleep: async () => {},
  };

  it('runs the canned question in the workgroup, waits for it, and reads every page of rows', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const meta = {
      ColumnInfo: [
        { Name: 'event', Type: 'varchar' },
        { Name: 'events', Type: 'bigint' },
      ],
    };
    const cells = (a: string, b: string) => ({ Data: [{ VarCharValue: a }, { VarCharValue: b }] });
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({
        ResultSet: { ResultSetMetadata: meta, Rows: [cells('event', 'events'), cells('Signed Up', '3')] },
        NextToken: 't',
      })
      .resolves({ ResultSet: { ResultSetMetadata: meta, Rows: [cells('Order Completed', '1')] } });
    const sql = QUESTIONS['top-events']((n) => `"lake_db"."${n}"`, { customer: 'acme' });

    const result = await athenaQuery(sql, options);

    expect(result).toEqual({
      columns: ['event', 'events'],
      rows: [
        { event: 'Signed Up', events: '3' },
        { event: 'Order Completed', events: '1' },
      ],
    });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: sql,
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'lake_db' },
    });
    expect(sql).toContain('FROM "lake_db"."events_curated"');
  });

  it('names the reason when the query fails', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND' } },
    });

    await expect(athenaQuery('SELECT 1', options)).rejects.toThrow(
      'Athena query q-2 failed: TABLE_NOT_FOUND',
    );
  });
});
