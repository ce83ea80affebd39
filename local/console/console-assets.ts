import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { consolePage } from './console-pages';

export interface ConsoleAssets {
  /** The static file at a path, if it is one of the console's. */
  get(path: string): { type: string; body: Buffer } | undefined;
  page(operator: string): string;
}

const PAGE_DIR = join(__dirname, 'page');

/**
 * The console's script (page/console.ts, bundled by esbuild once, at start: ~50 ms) and style. Served
 * as files, so the Content-Security-Policy can forbid every inline script and style.
 */
export function consoleAssets(): ConsoleAssets {
  const script = buildSync({
    entryPoints: [join(PAGE_DIR, 'console.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
  }).outputFiles[0]!.contents;
  const files = new Map<string, { type: string; body: Buffer }>([
    ['/console/assets/console.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(script) }],
    [
      '/console/assets/console.css',
      { type: 'text/css; charset=utf-8', body: readFileSync(join(PAGE_DIR, 'console.css')) },
    ],
  ]);
  return { get: (path) => files.get(path), page: consolePage };
}
