import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './local-destination';

/** Every .ts file under a folder of the repository (absolute paths). */
export function sources(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.push(path);
    }
  };
  walk(join(ROOT, folder));
  return out;
}
