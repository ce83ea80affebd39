import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../support/local-destination';
import { sources } from '../support/source-files';

// Import directions (layers, no file or folder cycles, nothing importing scripts/) are checked by
// dependency-cruiser (`npm run lint:imports`, .dependency-cruiser.cjs), which `npm test` runs first. What
// an import graph cannot say stays here: what a file may contain, and how the folders are laid out.
describe('the architecture, enforced', () => {
  it('the core reads neither the environment nor the wall clock', () => {
    const offenders = sources('domain/core').filter((file) =>
      /process\.env|new Date\(\)|Date\.now\(\)/.test(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => !line.trim().startsWith('*') && !line.trim().startsWith('//'))
          .join('\n'),
      ),
    );
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('ports are only ports: interfaces and types, no implementation', () => {
    // Every port of the core: the module an adapter implements. A runtime value here would ship in
    // every adapter's import and blur what is contract and what is code.
    const PORTS = [
      'domain/core/common/ports.ts',
      'domain/core/keys/token-store.ts',
      'domain/core/erasure/erasure-log.ts',
      'domain/core/erasure/erase-store.ts',
      'domain/core/ingest/fair-share-counter.ts',
      'domain/core/lake/compaction-ports.ts',
    ];
    for (const port of PORTS) {
      const text = readFileSync(join(ROOT, port), 'utf8');
      expect([port, text.match(/^export (const|function|class|let|enum) \w+/gm) ?? []]).toEqual([port, []]);
      // Imports only types.
      expect([port, text.match(/^import (?!type )[^;]*;/gm) ?? []]).toEqual([port, []]);
    }
    // Every module an adapter implements is in the list: an `implements X` names a port above.
    const implemented = sources('adapters').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/implements (\w+)/g)].map((m) => m[1]!),
    );
    const declared = PORTS.flatMap((port) =>
      [...readFileSync(join(ROOT, port), 'utf8').matchAll(/^export (?:interface|type) (\w+)/gm)].map(
        (m) => m[1]!,
      ),
    );
    expect([...new Set(implemented)].filter((name) => !declared.includes(name))).toEqual([]);
  });

  it('lambdas/ holds one folder per deployed function, each a create-<name>-handler.ts and a handler.ts', () => {
    const folders = readdirSync(join(ROOT, 'lambdas')).sort();
    for (const folder of folders) {
      const files = readdirSync(join(ROOT, 'lambdas', folder));
      expect([folder, files.includes('handler.ts'), files.includes(`create-${folder}-handler.ts`)]).toEqual([
        folder,
        true,
        true,
      ]);
    }
    // Every function of the stack is one of these folders, and every folder is deployed.
    const entries = sources('lib').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/entry: '([a-z-]+)\/handler\.ts'/g)].map((m) => m[1]!),
    );
    expect([...new Set(entries)].sort()).toEqual(folders);
  });

  it('tests mirror the code: a test of a unit sits at test/<its folder>/, the rest in four named folders', () => {
    // A unit's tests are found where the unit is: domain/core/intent/boosted-trees.ts is tested by
    // test/domain/core/intent/boosted-trees.test.ts. What spans units has a folder of its own: e2e (the
    // local destination end to end), contract (rules over the whole repository and AWS's own rules),
    // properties (generated inputs), security.
    const SOURCE_ROOTS = ['domain', 'adapters', 'lambdas', 'lib', 'local', 'scripts', 'cli', 'bin'];
    const CROSS_CUTTING = ['e2e', 'contract', 'properties', 'security'];
    // (test/load/node_modules, which `npm run load` installs, is artillery's, not ours.)
    const tests = sources('test').filter(
      (file) => file.endsWith('.test.ts') && !file.includes('/node_modules/'),
    );
    const misplaced = tests
      .map((file) => relative(join(ROOT, 'test'), file))
      .filter((file) => {
        const [top] = file.split('/');
        if (CROSS_CUTTING.includes(top!)) return false;
        if (!SOURCE_ROOTS.includes(top!)) return true;
        // The folder of a source folder, or of one source file (test/lib/segment-lake-stack/ holds the
        // tests of the whole stack, lib/segment-lake-stack.ts).
        const folder = file.split('/').slice(0, -1).join('/');
        return !existsSync(join(ROOT, folder)) && !existsSync(join(ROOT, `${folder}.ts`));
      });
    expect(misplaced).toEqual([]);
    expect(tests.length).toBeGreaterThan(150);
  });

  it('each shared fact has one definition, in the contract', () => {
    const facts =
      /\b(?:const|let|type)\s+(LAKE_AREAS|LakeArea|METRIC_NAMES|MetricName|METRICS_NAMESPACE|INGEST_ROUTES|ADMIN_ROUTES|TOKEN_TABLE_INDEXES|EVENT_FIELDS|QUARANTINE_FIELDS|LEDGER_FIELDS|SUPPORTED_TYPES|REASON_CODES)\s*=/;
    const elsewhere = ['domain/core', 'adapters', 'lambdas', 'lib', 'local', 'scripts', 'bin']
      .flatMap(sources)
      .filter((file) => !relative(ROOT, file).startsWith('domain/contract/'))
      .filter(
        (file) =>
          facts.test(readFileSync(file, 'utf8')) || readFileSync(file, 'utf8').includes('has("reason")'),
      );
    expect(elsewhere.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('tests stub AWS clients only through test/support/aws-mocks.ts, so no stub outlives its test', () => {
    const direct = sources('test')
      .filter((file) => !file.endsWith('test/support/aws-mocks.ts'))
      .filter((file) => /\bmockClient\(/.test(readFileSync(file, 'utf8')));
    expect(direct.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
