import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, StatementType } from '@duckdb/node-api';
import { AUDIENCE_MEMBERS_FILE, AUDIENCES_AREA } from '../domain/contract/audiences';
import { SCORES_AREA, SCORES_FILE } from '../domain/contract/curated-table';
import { ERASED_ROWS_PREFIX } from '../domain/contract/erasure';
import { IDENTITY_AREAS } from '../domain/contract/identity';
import { LAKE_AREAS } from '../domain/contract/lake-areas';
import {
  duckdbAreaView,
  duckdbAudiencesView,
  duckdbCuratedView,
  duckdbDerivedViews,
  duckdbErasedRowsView,
  duckdbIdentityViews,
  duckdbScoresView,
} from '../domain/contract/sql/duckdb-lake-sql';
import { type Damage, setAsideDamagedCurated } from './damaged-objects';
import { curatedFiles, filesUnder, lakeObjectKeys, setAsideDamagedEverywhere } from './read-lake';

/** A statement query will not run: it could change something. */
export class QueryRefused extends Error {}

const READING = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN]);

/** The intent scores' Parquet files. */
function scoreFiles(lakeRoot: string): string[] {
  return filesUnder(join(lakeRoot, SCORES_AREA), (name) => name === SCORES_FILE);
}

/** A query's answer: its column names, and its rows as JSON-safe values (big integers as text). */
export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface LakeQuerier {
  query(sql: string): Promise<QueryResult>;
  /** Landing objects this querier found damaged and set aside (then it ran the query again). */
  readonly damaged: readonly Damage[];
  /** Our own commands' writes (intent's scores): never reachable from a user's SQL. */
  write(sql: string): Promise<void>;
  close(): void;
}

/** DuckDB's buffer limit for lake queries, as for the compaction (scripts/compact/run-compaction.ts). */
const LAKE_MEMORY_LIMIT = '2GB';

/**
 * DuckDB over the local lake with Athena's table and view names (domain/contract/sql/duckdb-lake-sql.ts).
 * In memory, views over the lake's files: nothing it runs can change the lake.
 */
export async function openLocalLake(lakeRoot: string): Promise<LakeQuerier> {
  // Spilling (a large join) goes to a directory of its own, never the working directory (DuckDB's default).
  const spill = mkdtempSync(join(tmpdir(), 'query-'));
  // DuckDB's buffers capped as the compaction's are (it spills above): the intent run on a million users
  // then peaks under its 4 GiB goal with the process's own heap (npm run bench -- --only intent).
  const db = await DuckDBInstance.create(':memory:', {
    temp_directory: spill,
    memory_limit: LAKE_MEMORY_LIMIT,
  });
  const duck = await db.connect();
  let listed: string[][] = [];
  const areaViews = async () => {
    listed = LAKE_AREAS.map((area) => lakeObjectKeys(lakeRoot, area));
    for (const [i, area] of LAKE_AREAS.entries())
      await duck.run(
        duckdbAreaView(
          area,
          listed[i]!.map((key) => join(lakeRoot, key)),
        ),
      );
  };
  await areaViews();
  const damaged: Damage[] = [];
  const curatedView = () => duck.run(duckdbCuratedView(lakeRoot, curatedFiles(lakeRoot).length > 0));
  try {
    await curatedView();
  } catch (error) {
    // The view reads a file's schema when it is made: a damaged partition fails it. Set aside (the next
    // compaction builds it again), then the view over the rest.
    const found = await setAsideDamagedCurated(lakeRoot, curatedFiles(lakeRoot), duck);
    if (found.length === 0) throw error;
    damaged.push(...found);
    await curatedView();
  }
  await duck.run(duckdbScoresView(lakeRoot, scoreFiles(lakeRoot).length > 0));
  await duck.run(
    duckdbAudiencesView(
      lakeRoot,
      filesUnder(join(lakeRoot, AUDIENCES_AREA), (n) => n === AUDIENCE_MEMBERS_FILE).length > 0,
    ),
  );
  await duck.run(
    duckdbErasedRowsView(filesUnder(join(lakeRoot, ERASED_ROWS_PREFIX), (n) => n.endsWith('.json'))),
  );
  for (const view of duckdbIdentityViews(lakeRoot, {
    identities:
      filesUnder(join(lakeRoot, IDENTITY_AREAS.identities), (n) => n === 'identities.parquet').length > 0,
    users: filesUnder(join(lakeRoot, IDENTITY_AREAS.users), (n) => n === 'users.parquet').length > 0,
  }))
    await duck.run(view);
  for (const view of duckdbDerivedViews()) await duck.run(view);
  return {
    damaged,
    async query(sql) {
      const once = async () => {
        // One reading statement: a COPY, an ATTACH or a SET could write files or change what is read.
        const statements = await duck.extractStatements(sql);
        if (statements.count !== 1)
          throw new QueryRefused(`one statement at a time, not ${statements.count}`);
        const prepared = await statements.prepare(0);
        if (!READING.has(prepared.statementType))
          throw new QueryRefused(
            'only a reading statement (SELECT, WITH, FROM, DESCRIBE, EXPLAIN): query never changes the lake',
          );
        return prepared.runAndReadAll();
      };
      let reader: Awaited<ReturnType<typeof once>>;
      try {
        reader = await once();
      } catch (error) {
        if (!isReadFailure(error)) throw error;
        // A landing object no reader can read (a damaged file, a line of text DuckDB refuses) is its
        // customer's problem: set it aside with its readable lines salvaged, and read the rest again.
        // The objects are listed again too: another reader may have set one aside meanwhile.
        const found = [
          ...setAsideDamagedEverywhere(lakeRoot),
          ...(await setAsideDamagedCurated(lakeRoot, curatedFiles(lakeRoot), duck)),
        ];
        const moved = !sameKeys(
          listed,
          LAKE_AREAS.map((area) => lakeObjectKeys(lakeRoot, area)),
        );
        if (found.length === 0 && !moved) throw error;
        damaged.push(...found);
        await areaViews();
        await curatedView();
        reader = await once();
      }
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
    },
    async write(sql) {
      await duck.run(sql);
    },
    close() {
      duck.closeSync();
      db.closeSync();
      rmSync(spill, { recursive: true, force: true });
    },
  };
}

function sameKeys(a: string[][], b: string[][]): boolean {
  return a.length === b.length && a.every((keys, i) => keys.join('\n') === b[i]!.join('\n'));
}

/**
 * Whether DuckDB failed reading the lake's files (not the SQL): an I/O error (a file gone, a gzip stream
 * that breaks) or JSON it refuses (malformed, or a lone surrogate). A mistake in the SQL (Parser, Binder,
 * Catalog errors) is answered as it is, without looking at the lake.
 */
function isReadFailure(error: unknown): boolean {
  if (error instanceof QueryRefused) return false;
  // Not `instanceof Error`: DuckDB's errors may come from another realm (a test's VM context).
  const message = (error as { message?: unknown } | undefined)?.message;
  const text = typeof message === 'string' ? message : String(error);
  return /^(IO Error|Invalid Input Error)|Malformed JSON|surrogate|gzip|decompress/i.test(text);
}
