import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { HOUSE_BUNDLING } from '../../lib/house-function';
import { ROOT } from './local-destination';
import { synthStack } from './stack';

/**
 * A function as Lambda runs it: bundled by esbuild with the options the stack gives NodejsFunction
 * (HOUSE_BUNDLING: CommonJS, minified, the AWS SDK left to the runtime), into `outDir/index.js`.
 */
export async function bundleLambda(entry: string, outDir: string): Promise<string> {
  const outfile = join(outDir, 'index.js');
  await build({
    entryPoints: [join(ROOT, 'lambdas', entry)],
    outfile,
    bundle: true,
    minify: HOUSE_BUNDLING.minify,
    platform: 'node',
    format: HOUSE_BUNDLING.format,
    target: HOUSE_BUNDLING.target,
    mainFields: [...HOUSE_BUNDLING.mainFields],
    external: [...HOUSE_BUNDLING.externalModules],
    logLevel: 'silent',
  });
  return outfile;
}

/**
 * A function's environment as the synthesized template sets it (the default configuration), with each
 * reference to another resource (a table, a stream, a secret) replaced by that resource's logical id:
 * the names the emulators answer for.
 */
export function templateEnvironment(cdkPathPart: string): Record<string, string> {
  const resources = synthStack().template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }
  >;
  const found = Object.entries(resources).filter(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(cdkPathPart),
  );
  if (found.length !== 1) throw new Error(`${found.length} functions match ${cdkPathPart}`);
  const variables = found[0]![1].Properties.Environment?.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : String((value as { Ref?: string }).Ref ?? JSON.stringify(value)),
    ]),
  );
}

export interface BundledRun {
  /** Each invocation's time (ms) and answer, in order. */
  eventsMs: number[];
  statuses: (number | string)[];
  headers: Record<string, string>[];
  /** The authorizer's verdicts (its `context`), when the function is the authorizer. */
  contexts: (Record<string, string> | undefined)[];
}

/**
 * Runs a bundle in its own Node process (scripts/bench/cold-start-child.cjs) on one event, `runs`
 * times in a row, with `env` on top of this process's: asynchronous, so emulators in this process
 * keep answering.
 */
export function runBundled(
  bundle: string,
  event: unknown,
  runs: number,
  env: Record<string, string>,
  options: { gapMs?: number } = {},
): Promise<BundledRun> {
  const eventFile = join(
    tmpdir(),
    `bundled-event-${process.pid}-${Math.random().toString(36).slice(2)}.json`,
  );
  writeFileSync(eventFile, JSON.stringify(event));
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [
        join(ROOT, 'scripts', 'bench', 'cold-start-child.cjs'),
        bundle,
        eventFile,
        String(runs),
        String(options.gapMs ?? 0),
      ],
      {
        cwd: tmpdir(),
        env: {
          ...process.env,
          NODE_PATH: join(ROOT, 'node_modules'),
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          ...env,
        },
      },
      (error, out, err) => {
        if (error) return reject(new Error(`${error.message}\n${err}`));
        const result = JSON.parse(out.trim().split('\n').pop()!);
        resolve({
          eventsMs: result.eventsMs,
          statuses: result.statuses,
          headers: result.answers.map((a: { headers?: Record<string, string> }) => a?.headers ?? {}),
          contexts: result.answers.map((a: { context?: Record<string, string> }) => a?.context),
        });
      },
    ),
  );
}
