import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { jsonLogger } from '../../adapters/system/json-logger';
import { openLocalLake } from '../../local/lake-query';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { makeToken, post, ROOT, tempDataDir } from '../support/local-destination';

/**
 * The docs, followed as a newcomer would, offline: every fenced block marked ```` ```sh offline ```` in
 * README.md and docs/*.md runs line by line (in a fresh directory holding the repository's files, with
 * the real `npm`, so its banner, .npmrc, redirections and pipes are what a user gets; the lake of a small simulated customer `acme` under `.data/`), every ```` ```sql ```` block
 * runs on that lake with `npm run query`'s names, and every repository path and lake path the docs
 * name exists. Blocks with placeholders (`<id>`, `[--json]`) or an AWS account are not marked.
 */
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (doc: string) => readFileSync(join(ROOT, doc), 'utf8');

/** The fenced blocks of a document whose info string starts with `lang` (and, if given, has `flag`). */
function blocks(doc: string, lang: string, flag?: string): string[] {
  return [...text(doc).matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)]
    .filter(([, info]) => {
      const words = info!.trim().split(/\s+/);
      return words[0] === lang && (flag === undefined || words.includes(flag));
    })
    .map(([, , body]) => body!);
}

/** A block's commands: its lines without comments, a trailing `\` joining the next line. */
const commands = (block: string) =>
  block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));

function withoutDataDir(): NodeJS.ProcessEnv {
  const { DATA_DIR: _, ...env } = process.env;
  return env;
}

/** Every file and folder under a directory, as paths relative to it. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      out.push(relative(root, path));
      if (statSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

describe('the docs, run as written (offline blocks, SQL, paths)', () => {
  let work: string;
  let destination: LocalDestination | undefined;

  // No DATA_DIR: the docs' `.data/` is the default, under the work directory. npm as the user's shell
  // finds it, not as jest's parent npm left its variables (npm_config_*: a loglevel among them).
  const shellEnv = () =>
    Object.fromEntries(Object.entries(withoutDataDir()).filter(([key]) => !/^npm_/i.test(key)));

  /** Runs one doc line in bash, in the work directory, with the real `npm`. */
  const sh = (line: string) =>
    spawnSync('bash', ['-o', 'pipefail', '-c', line], {
      cwd: work,
      env: shellEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });

  beforeAll(async () => {
    work = tempDataDir('docs-run-');
    // A checkout as a newcomer has it: the repository's files (linked), with the real `npm` running
    // package.json's scripts — its banner, its .npmrc, redirections and pipes all as a user gets them.
    for (const name of readdirSync(ROOT))
      if (!['.data', '.git', 'cdk.out', 'reports', 'coverage'].includes(name))
        symlinkSync(join(ROOT, name), join(work, name));
    // The lake a newcomer has after the README's first steps: a small simulated customer, compacted.
    destination = await startLocalServer({
      dataDir: join(work, '.data'),
      port: 0,
      logger: jsonLogger('docs-run', () => undefined),
      flushIntervalMs: 200,
    });
    // Asynchronously: the server answers in this process while the simulator sends.
    const simulate = await new Promise<{ status: number | null; output: string }>((done) => {
      const child = spawn(
        'bash',
        [
          '-c',
          `npm run simulate -- --customer acme --users 150 --days 10 --seed 7 --end 2026-11-20 --url ${destination!.url}`,
        ],
        { cwd: work, env: shellEnv() },
      );
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
      });
      child.stderr.on('data', (chunk) => {
        output += chunk;
      });
      child.on('close', (status) => done({ status, output }));
    });
    if (simulate.status !== 0) throw new Error(`simulate: ${simulate.output.slice(-800)}`);
    // And one message the destination cannot accept, as a first integration sends: quarantine/ has it.
    const { token } = await makeToken(join(work, '.data'), 'acme');
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the server reloads keys within ~1 s
    const refused = await post(
      `${destination!.url}/v1/track`,
      { userId: 'u-1', messageId: 'no-event' },
      token,
    );
    expect(refused.status).toBe(400);
    await destination.close();
    destination = undefined;
    const compact = sh('npm run compact');
    if (compact.status !== 0) throw new Error(`compact: ${compact.stderr.slice(-600)}`);
  }, 180_000);
  afterAll(async () => {
    await destination?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('marks some blocks runnable, so the check cannot pass by finding none', () => {
    expect(DOCS.flatMap((doc) => blocks(doc, 'sh', 'offline')).length).toBeGreaterThanOrEqual(3);
  });

  it.each(DOCS.filter((doc) => blocks(doc, 'sh', 'offline').length > 0))(
    '%s: every offline command exits 0',
    (doc) => {
      for (const line of blocks(doc, 'sh', 'offline').flatMap(commands)) {
        const run = sh(line);
        expect({ line, status: run.status, stderr: run.stderr.trim().split('\n').slice(-3) }).toEqual({
          line,
          status: 0,
          stderr: expect.any(Array),
        });
      }
    },
    300_000,
  );

  it.each(DOCS.filter((doc) => blocks(doc, 'sql').length > 0))(
    '%s: every SQL statement runs on the local lake, with the tables and columns it names',
    async (doc) => {
      const querier = await openLocalLake(join(work, '.data', 'lake'));
      try {
        for (const sql of blocks(doc, 'sql')
          .flatMap((b) => b.split(';'))
          .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
          .filter(Boolean))
          await expect(querier.query(sql)).resolves.toMatchObject({ columns: expect.any(Array) });
      } finally {
        querier.close();
      }
    },
  );

  it.each(DOCS)('%s: every repository path it names exists', (doc) => {
    const top = /^(domain|adapters|lambdas|lib|local|scripts|bin|test|docs)\//;
    const named = [...text(doc).matchAll(/`([^`\s]+)`|\]\(([^)\s#]+)/g)]
      .map(([, code, link]) => (code ?? link)!.replace(/:\d+$/, ''))
      .map((path) =>
        doc.startsWith('docs/') && !top.test(path) && path.endsWith('.md') ? `docs/${path}` : path,
      )
      .filter((path) => top.test(path) && !/[<>*{}$]/.test(path));
    const missing = named.filter((path) => !existsSync(join(ROOT, path.replace(/\/$/, ''))));
    expect(missing).toEqual([]);
  });

  it('every local lake path the docs name exists after the first steps', () => {
    // `.data/lake/…`, `$DATA_DIR/lake/…`, `<lake>/…` or `lake/…`, placeholders and `…` as wildcards.
    const named = DOCS.flatMap((doc) =>
      [...text(doc).matchAll(/`(?:(?:\.data|\$DATA_DIR)\/lake\/|<lake>\/|lake\/)([^`\s]+)`/g)].map(
        ([, rest]) => ({ doc, path: rest!.replace(/<[^>]+>|…/g, '*').replace(/\*+/g, '*') }),
      ),
    )
      // What a first run makes: landing, quarantine, ledger and curated files (errors/, scores/,
      // erasure and redrive files appear only with their own work).
      .filter(({ path }) => /^(events|quarantine|ledger|curated\/events)\//.test(path));
    expect(named.length).toBeGreaterThanOrEqual(4);
    const present = tree(join(work, '.data', 'lake'));
    const missing = named.filter(({ path }) => {
      const pattern = new RegExp(
        `^${path
          .replace(/\/$/, '')
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')}$`,
      );
      return !present.some((p) => pattern.test(p));
    });
    expect(missing).toEqual([]);
  });
});
