import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { DESTINATION_LIBRARY } from '../../domain/contract/audiences';
import { ENABLE_CALLBACK_PATH } from '../../domain/contract/routes';
import { ROOT } from '../support/local-destination';
import { sources } from '../support/source-files';

/**
 * One fact, one place — checked by value, not by name: each fact below is written in its one defining
 * module, and a copy of its value anywhere else in the product's code (comments aside) fails here.
 * A new copy is the drift this catches; a new fact belongs in this table.
 */
const FACTS: { fact: string; value: RegExp; home: string[] }[] = [
  {
    fact: 'the enable callback route',
    value: /['"`]\/enable\/callback/,
    home: ['domain/contract/routes.ts'],
  },
  {
    fact: "an intent run's feature and report prefixes",
    value: /['"`]intent\/(_features|reports)\//,
    home: ['domain/contract/curated-table.ts'],
  },
  {
    fact: 'the curated and landing prefixes in IAM, events and listings',
    value: /['"`](curated|events|errors|quarantine)\/[*'"`]/,
    home: ['domain/contract/curated-table.ts', 'domain/contract/lake-areas.ts'],
  },
  {
    fact: "the scores table's partitions",
    value: /customer_id=.{0,40}event_key=|'as_of'|as_of: DATE/,
    home: ['domain/contract/curated-table.ts'],
  },
  {
    fact: "Firehose's 1,000 KiB record limit",
    value: /1_000 \* 1024|1024000|1_024_000/,
    home: ['domain/core/lake/pack-records.ts'],
  },
  { fact: 'the customer id pattern', value: /\{0,63\}/, home: ['domain/contract/formats.ts'] },
  {
    fact: 'the date pattern',
    value: /\/\^\\d\{4\}-\\d\{2\}-\\d\{2\}\$\//,
    home: ['domain/contract/formats.ts'],
  },
  {
    fact: "the intent run's longest windows",
    value: /maxValue\((365|180)\)|(?<![.\w])days\((365|180)\)/,
    home: ['domain/core/intent/prepare-run.ts'],
  },
  {
    fact: "the curated table's partitioning",
    value: /PARTITIONED BY \(customer_id/,
    home: [],
  },
  {
    fact: 'the completeness view name',
    value: /['"`]completeness['"`]|VIEW completeness\b/,
    home: ['domain/contract/sql/lake-views-sql.ts'],
  },
  {
    fact: 'the receive date of a line (receivedDt)',
    value: /received_at\)?\.slice\(0, 10\)|substr\(received_at/,
    home: ['domain/contract/lake-areas.ts', 'domain/contract/sql/duckdb-lake-sql.ts'],
  },
  {
    fact: "Firehose's active-partition quota (500 by default, 5,000 at most)",
    value: /wholeNumber\(1, 5_000\)|activePartitionQuota.{0,40}\b500\b/,
    home: ['domain/contract/aws-quotas.ts'],
  },
  {
    fact: "the lake's types in DuckDB (one map)",
    value: /string: 'VARCHAR'/,
    home: ['domain/contract/duckdb-types.ts'],
  },
  {
    fact: "the tokens table's index keys",
    value: /['"`](customerId|tokenId) = :/,
    home: [],
  },
  {
    fact: "the destination's name as a library and as a Segment slug",
    value: /['"`]segment-lake-destination['"`]/,
    home: ['domain/contract/audiences.ts'],
  },
  {
    fact: "the fair-share table's key and expiry attributes",
    value: /name: 'pk'|\{ pk: \{|'expiresAt'/,
    home: ['domain/contract/token-table.ts'],
  },
];

/** The product's code: every .ts of the folders that ship or run it (tests and docs are not the product). */
const PRODUCT = ['domain', 'adapters', 'lambdas', 'lib', 'local', 'scripts', 'bin'];
/** A file's code lines, comments left out (a comment may name a fact to explain it). */
const codeLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => !/^\s*(\/\/|\*|\/\*\*)/.test(text));

describe('one fact, one place (by value)', () => {
  const files = PRODUCT.flatMap(sources).map((file) => ({ file, rel: relative(ROOT, file) }));

  it.each(FACTS)('$fact is written only where it is defined', ({ value, home }) => {
    const copies = files
      .filter(({ rel }) => !home.includes(rel))
      .flatMap(({ file, rel }) =>
        codeLines(file)
          .filter(({ text }) => value.test(text))
          .map(({ line, text }) => `${rel}:${line}: ${text.trim()}`),
      );
    expect(copies).toEqual([]);
  });

  it('names the library as package.json does (Segment shows it on every call we send)', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { name: string; version: string };
    expect(DESTINATION_LIBRARY).toEqual({ name: pkg.name, version: pkg.version });
  });

  it('finds a planted copy (the check can fail)', () => {
    const planted = `const url = \`https://example.com${ENABLE_CALLBACK_PATH}\`; const back = '/enable/callback';`;
    expect(FACTS[0]!.value.test(planted)).toBe(true);
  });
});
