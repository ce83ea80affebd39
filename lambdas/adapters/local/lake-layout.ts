import { join } from 'node:path';
import type { LakeArea } from '../../contract/lake-areas';

/**
 * The key of a lake object, the same locally and in S3:
 * `<area>/customer_id=<id>/dt=<YYYY-MM-DD>/<name>.gz`. Hive-style `key=value` folders let Athena
 * (partition projection) and DuckDB (`hive_partitioning`) read the partition columns from the path.
 */
export function lakeObjectKey(area: LakeArea, customerId: string, dt: string, name: string): string {
  return `${area}/customer_id=${customerId}/dt=${dt}/${name}.gz`;
}

export function lakeDir(dataDir: string): string {
  return join(dataDir, 'lake');
}
