import { join } from 'node:path';
import { type LakeArea, landingPrefix } from '../../domain/contract/lake-areas';

/**
 * The key of a lake object, the same prefix locally and in S3 (domain/contract/lake-areas.ts):
 * `<area>/customer_id=<id>/received_dt=<YYYY-MM-DD>/<name>.gz`. Hive-style `key=value` folders let
 * Athena (partition projection) and DuckDB (`hive_partitioning`) read the partition columns from the path.
 */
export function lakeObjectKey(area: LakeArea, customerId: string, receivedDt: string, name: string): string {
  return `${landingPrefix(area, customerId, receivedDt)}${name}.gz`;
}

export function lakeDir(dataDir: string): string {
  return join(dataDir, 'lake');
}
