import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { bundledPackages } from '../../../scripts/bench/cold-start-bench';
import { ROOT } from '../../support/local-destination';

describe('bundledPackages: what a bundle is made of, from its source map', () => {
  it('attributes the bundle’s bytes to the packages esbuild took them from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'composition-'));
    try {
      const entry = join(dir, 'entry.ts');
      // A little code of ours beside all of valibot: the bundle is nearly all valibot.
      writeFileSync(
        entry,
        "import * as v from 'valibot';\nexport const all = v;\nexport const ours = () => 'ours';\n",
      );
      buildSync({
        entryPoints: [entry],
        bundle: true,
        minify: true,
        sourcemap: true,
        platform: 'node',
        outfile: join(dir, 'index.js'),
        nodePaths: [join(ROOT, 'node_modules')],
        logLevel: 'silent',
      });

      const shares = bundledPackages(
        readFileSync(join(dir, 'index.js'), 'utf8'),
        readFileSync(join(dir, 'index.js.map'), 'utf8'),
      );

      expect(shares[0]!.name).toBe('valibot');
      expect(shares[0]!.share).toBeGreaterThan(0.9);
      expect(shares.map((s) => s.name)).toContain('our code');
      expect(shares.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports nothing rather than guessing when the map is missing or unreadable', () => {
    expect(bundledPackages('x', '')).toEqual([]);
    expect(bundledPackages('x', '{not json')).toEqual([]);
  });
});
