import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type ServiceInputTypes as S3Inputs,
  type ServiceOutputTypes as S3Outputs,
} from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * A mocked Athena for the audience function: the latest scoring date, a version's sizes and change, the
 * lift's conversion counts, nothing for an UNLOAD; every statement it is sent is recorded.
 */
export function answerAudienceQueries(
  athena: AwsStub<ServiceInputTypes, ServiceOutputTypes, AthenaClient['config']>,
  scoredOn: { d: string | null } = { d: '2026-03-08' },
): string[] {
  const sent: string[] = [];
  const answers: [RegExp, () => (string | null)[][]][] = [
    [/^UNLOAD/, () => [['x']]],
    [/max\(as_of\)/, () => [['d'], [scoredOn.d]]],
    [
      /count_if\(cur\.grp = 'target'\)/,
      () => [
        ['target', 'holdout', 'entered', 'left'],
        ['900', '100', '1000', '0'],
      ],
    ],
    [
      /first_day/,
      () => [
        ['group', 'first_day', 'users'],
        ['target', '2026-03-10', '270'],
        ['target', null, '630'],
        ['holdout', '2026-03-11', '10'],
        ['holdout', null, '90'],
      ],
    ],
  ];
  let current = '';
  athena.on(StartQueryExecutionCommand).callsFake(({ QueryString }: { QueryString: string }) => {
    current = QueryString;
    sent.push(QueryString);
    return { QueryExecutionId: `q-${sent.length}` };
  });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).callsFake(() => {
    const rows = answers.find(([re]) => re.test(current))![1]();
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: rows[0]!.map((Name) => ({ Name: Name!, Type: 'varchar' })) },
        Rows: rows.map((r) => ({
          Data: r.map((VarCharValue) => (VarCharValue === null ? {} : { VarCharValue })),
        })),
      },
    };
  });
  return sent;
}

/** S3's page of a listing, and the most keys one DeleteObjects takes. */
export const S3_PAGE_KEYS = 1_000;

/** A mocked S3 bucket kept in a map: Get, Put, List (with delimiter) and Delete, as the functions use them. */
export function s3Objects(s3: AwsStub<S3Inputs, S3Outputs, S3Client['config']>): Map<string, Buffer> {
  const objects = new Map<string, Buffer>();
  s3.on(PutObjectCommand).callsFake(({ Key, Body }: { Key: string; Body: string | Uint8Array }) => {
    objects.set(Key, Buffer.from(Body as never));
    return {};
  });
  s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
    const body = objects.get(Key);
    if (!body) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return {
      Body: {
        transformToByteArray: async () => new Uint8Array(body),
        transformToString: async () => body.toString('utf8'),
      },
    };
  });
  // As S3 answers: at most 1,000 keys a page, the rest behind a continuation token.
  s3.on(ListObjectsV2Command).callsFake(
    ({
      Prefix,
      Delimiter,
      ContinuationToken,
    }: {
      Prefix: string;
      Delimiter?: string;
      ContinuationToken?: string;
    }) => {
      const keys = [...objects.keys()].filter((k) => k.startsWith(Prefix)).sort();
      if (Delimiter) {
        const prefixes = new Set(
          keys
            .filter((k) => k.slice(Prefix.length).includes(Delimiter))
            .map((k) => k.slice(0, k.indexOf(Delimiter, Prefix.length) + 1)),
        );
        return { CommonPrefixes: [...prefixes].map((p) => ({ Prefix: p })) };
      }
      // The token continues after the page's last key, as S3's does: deleting while listing skips none.
      const rest = ContinuationToken === undefined ? keys : keys.filter((k) => k > ContinuationToken);
      const page = rest.slice(0, S3_PAGE_KEYS);
      return {
        Contents: page.map((Key) => ({ Key })),
        ...(rest.length > S3_PAGE_KEYS ? { NextContinuationToken: page.at(-1) } : {}),
      };
    },
  );
  // S3 refuses a DeleteObjects of more than 1,000 keys (API_DeleteObjects.html).
  s3.on(DeleteObjectsCommand).callsFake(({ Delete }: { Delete: { Objects: { Key: string }[] } }) => {
    if (Delete.Objects.length > S3_PAGE_KEYS)
      throw Object.assign(new Error('more than 1,000 keys'), { name: 'MalformedXML' });
    for (const o of Delete.Objects) objects.delete(o.Key);
    return {};
  });
  return objects;
}
