import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as v from 'valibot';
import { CURATED_AREA, CURATED_FILE, CURATED_MONTH } from '../domain/contract/curated-table';
import { areaOf, LAKE_AREAS, type LakeArea } from '../domain/contract/lake-areas';
import {
  StoredLakeEventSchema,
  StoredLedgerEntrySchema,
  StoredQuarantineEntrySchema,
} from '../domain/contract/lake-records';
import { type Damage, setAsideDamaged } from './damaged-objects';

const STORED_SCHEMAS = {
  events: StoredLakeEventSchema,
  quarantine: StoredQuarantineEntrySchema,
  ledger: StoredLedgerEntrySchema,
} as const;

export interface LandedLine {
  /** The object's key relative to the lake root, e.g. `events/customer_id=acme/dt=2026-01-01/x.gz`. */
  key: string;
  record: Record<string, unknown>;
}

/** Every file below `dir` whose name `accept`s, as full paths, in a stable order; none if it is missing. */
export function filesUnder(dir: string, accept: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    if (!existsSync(at)) return;
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (accept(name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/** The keys (relative to the lake root) of an area's landed objects, in a stable order. */
export function lakeObjectKeys(lakeRoot: string, area: LakeArea): string[] {
  return filesUnder(join(lakeRoot, area), (name) => name.endsWith('.gz')).map((path) =>
    relative(lakeRoot, path),
  );
}

/** Every landed object of every area, inspected; the damaged ones set aside (local/damaged-objects.ts). */
export function setAsideDamagedEverywhere(lakeRoot: string, now?: () => Date): Damage[] {
  return setAsideDamaged(
    lakeRoot,
    LAKE_AREAS.flatMap((area) => lakeObjectKeys(lakeRoot, area)),
    now,
  );
}

/**
 * Every line of every gzip file under `<lakeRoot>/<area>`, with the key of the file it is in. A file
 * that cannot be read whole is set aside and its salvaged lines are read instead (`onDamage` is told).
 */
export function readLake(
  lakeRoot: string,
  area: LakeArea,
  onDamage: (damage: Damage) => void = () => undefined,
): LandedLine[] {
  const out: LandedLine[] = [];
  for (const key of lakeObjectKeys(lakeRoot, area)) {
    let lines: LandedLine[];
    try {
      lines = objectLines(lakeRoot, key, area);
    } catch {
      const [damage] = setAsideDamaged(lakeRoot, [key]);
      if (!damage) throw new Error(`${key} could not be read, yet reads whole now: run again`);
      onDamage(damage);
      lines = damage.salvaged_key ? objectLines(lakeRoot, damage.salvaged_key, area) : [];
    }
    out.push(...lines);
  }
  return out;
}

function objectLines(lakeRoot: string, key: string, area: LakeArea): LandedLine[] {
  const out: LandedLine[] = [];
  for (const line of gunzipSync(readFileSync(join(lakeRoot, key)))
    .toString('utf8')
    .split('\n'))
    if (line) out.push({ key, record: parseLine(line, area, key) });
  return out;
}

/**
 * A lake line, parsed with its area's schema from the contract. A line that is not JSON, belongs to
 * another area or does not fit the schema means the lake holds something it should not: an error that
 * names the file, never a silently odd record.
 */
function parseLine(line: string, area: LakeArea, key: string): Record<string, unknown> {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    throw new Error(`${key}: a line that is not JSON: ${line.slice(0, 80)}`);
  }
  if (record === null || typeof record !== 'object' || areaOf(record) !== area)
    throw new Error(`${key}: a line that is not a ${area} line: ${line.slice(0, 80)}`);
  const result = v.safeParse(STORED_SCHEMAS[area], record);
  if (!result.success)
    throw new Error(`${key}: ${v.getDotPath(result.issues[0]) ?? 'line'}: ${result.issues[0].message}`);
  return record as Record<string, unknown>;
}

/** Every curated Parquet file (of month partitions: day partitions wait to be rebuilt). */
export function curatedFiles(lakeRoot: string): string[] {
  return filesUnder(join(lakeRoot, CURATED_AREA), (name) => name === CURATED_FILE).filter((file) =>
    basename(dirname(file)).startsWith(`${CURATED_MONTH.column}=`),
  );
}
