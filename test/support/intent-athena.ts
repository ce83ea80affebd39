import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * A mocked Athena that answers the intent plan's queries with a small customer's history (50 sign-ups,
 * three events, two pages, one trait), and records every statement it was sent.
 */
export function answerIntentQueries(
  athena: AwsStub<ServiceInputTypes, ServiceOutputTypes, AthenaClient['config']>,
  /** Another customer's most frequent keys, pages and trait values (the defaults: a small one's). */
  top?: { keys: string[]; paths: string[]; traits: [string, string][] },
): string[] {
  const sent: string[] = [];
  const answers: [RegExp, string[][]][] = [
    [
      /max\(event_date\)/,
      [
        ['d', 'first'],
        ['2026-03-31', '2026-01-01'],
      ],
    ],
    [/SELECT count\(\*\) AS n FROM/, [['n'], ['50']]],
    [
      /GROUP BY event_key/,
      top
        ? [['event_key', 'n'], ...top.keys.map((k) => [k, '100'])]
        : [
            ['event_key', 'n'],
            ['productviewed', '900'],
            ['signedup', '50'],
            ['buttonclicked', '400'],
          ],
    ],
    [
      /AS path/,
      top
        ? [['path', 'n'], ...top.paths.map((p) => [p, '100'])]
        : [
            ['path', 'n'],
            ['/pricing', '300'],
            ['/', '200'],
          ],
    ],
    [
      /map_keys/,
      top
        ? [['trait', 'value', 'n'], ...top.traits.map(([t, v]) => [t, v, '100'])]
        : [
            ['trait', 'value', 'n'],
            ['plan', 'trial', '40'],
          ],
    ],
  ];
  let current = '';
  athena.on(StartQueryExecutionCommand).callsFake(({ QueryString }: { QueryString: string }) => {
    current = QueryString;
    sent.push(QueryString);
    return { QueryExecutionId: `q-${answers.findIndex(([re]) => re.test(QueryString))}` };
  });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).callsFake(() => {
    const rows = answers.find(([re]) => re.test(current))![1];
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: rows[0]!.map((Name) => ({ Name, Type: 'varchar' })) },
        Rows: rows.map((r) => ({ Data: r.map((VarCharValue) => ({ VarCharValue })) })),
      },
    };
  });
  return sent;
}
