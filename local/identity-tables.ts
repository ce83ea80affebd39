import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CURATED_AREA } from '../domain/contract/curated-table';
import { identityFile } from '../domain/contract/identity';
import { duckdbIdentitiesSql, duckdbUsersSql } from '../domain/contract/sql/identity-sql';
import { literal } from '../domain/contract/sql/sql-text';
import { openLocalLake } from './lake-query';

/** The customers with a curated table locally (a folder under `curated/events/`). */
export function curatedCustomers(lakeRoot: string): string[] {
  const root = join(lakeRoot, CURATED_AREA);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => name.startsWith('customer_id='))
    .map((name) => name.slice('customer_id='.length));
}

/**
 * Builds each customer's `identities` and `users` files again from its curated rows (domain/contract/
 * identity.ts), each staged beside its place and renamed into it. A customer whose build fails keeps its
 * last files and is named; the others go on. `npm run compact` runs it for the customers it changed; an
 * erase pass, after removing the users' rows, for its customer (see removeIdentities).
 */
export async function buildIdentities(
  lakeRoot: string,
  customers: readonly string[],
): Promise<{ built: number; failed: { customerId: string; reason: string }[] }> {
  const lake = await openLocalLake(lakeRoot);
  const table = (name: string) => name;
  const failed: { customerId: string; reason: string }[] = [];
  let built = 0;
  try {
    for (const customerId of customers) {
      try {
        for (const [kind, sql] of [
          ['identities', duckdbIdentitiesSql(table, customerId)],
          ['users', duckdbUsersSql(table, customerId)],
        ] as const) {
          const file = join(lakeRoot, identityFile(kind, customerId));
          mkdirSync(dirname(file), { recursive: true });
          const work = mkdtempSync(join(dirname(file), '.staging-'));
          try {
            const staged = join(work, `${kind}.parquet`);
            await lake.write(`COPY (${sql}) TO ${literal(staged)} (FORMAT parquet)`);
            renameSync(staged, file);
          } finally {
            rmSync(work, { recursive: true, force: true });
          }
        }
        built += 1;
      } catch (error) {
        failed.push({ customerId, reason: (error as Error).message.split('\n')[0]!.slice(0, 300) });
      }
    }
  } finally {
    lake.close();
  }
  return { built, failed };
}

/**
 * Removes a customer's identity files (they name the users an erase pass just removed), then builds them
 * again from its erased curated rows; if that build fails they stay removed, and the next compaction
 * builds them (privacy first).
 */
export async function rebuildIdentitiesAfterErase(lakeRoot: string, customerId: string): Promise<void> {
  for (const kind of ['identities', 'users'] as const)
    rmSync(dirname(join(lakeRoot, identityFile(kind, customerId))), { recursive: true, force: true });
  await buildIdentities(lakeRoot, [customerId]);
}
