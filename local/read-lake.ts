import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LakeArea } from '../lambdas/contract/lake-areas';

export interface LandedLine {
  /** The object's key relative to the lake root, e.g. `events/customer_id=acme/dt=2026-01-01/x.gz`. */
  key: string;
  record: Record<string, unknown>;
}

/** Every line of every gzip file under `<lakeRoot>/<area>`, with the key of the file it is in. */
export function readLake(lakeRoot: string, area: LakeArea): LandedLine[] {
  const out: LandedLine[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.gz')) {
        for (const line of gunzipSync(readFileSync(path)).toString('utf8').split('\n')) {
          if (line) out.push({ key: relative(lakeRoot, path), record: JSON.parse(line) });
        }
      }
    }
  };
  walk(join(lakeRoot, area));
  return out;
}
