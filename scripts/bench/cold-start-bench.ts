import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authorizerEvent,
  integrationEvent,
  localRequest,
  routeEvent,
} from '../../adapters/aws/api-gateway-events';
import { ENABLE_CALLBACK_PATH } from '../../domain/contract/routes';
import { authorizationFor, issueToken } from '../../domain/core/keys/tokens';
import { startAwsStub } from './aws-stub';

export interface ColdStartRow {
  /** The function's place in the stack (its construct path), e.g. `Ingest`, `Curated/Steps`. */
  function: string;
  bundleKiB: number;
  /** Median over runs: require() of the bundle. */
  loadMs: number;
  /**
   * Median over runs: the first event, SDK client set-up included; null for a function this bench has
   * no representative event for (a step of a state machine): its load alone is measured.
   */
  firstEventMs: number | null;
  /** Node.js's own start-up before the bundle (not ours, for context). */
  nodeStartMs: number;
  /** The answer's status, `loaded` when only the load was measured, or `failed: <why>`. */
  status: string | number;
  /** What the time and the size are made of: the reason a goal is missed, measured per function. */
  why?: ColdStartBreakdown;
}

export interface ColdStartBreakdown {
  /** The AWS SDK packages the bundle requires at run time (left out of it: the runtime provides them). */
  sdkPackages: string[];
  /** Median over runs: require() of those packages alone, in a fresh process. */
  sdkLoadMs: number;
  /** The bundled packages by their share of the bundle's source (its source map), largest first. */
  largest: { name: string; share: number }[];
}

const ROOT = join(__dirname, '..', '..');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Bundles the functions exactly as `cdk synth` does (it runs it), then for each bundle starts fresh
 * Node processes that load it and handle one representative event against a loopback AWS stub.
 */
export async function benchColdStart(runs = 7): Promise<ColdStartRow[]> {
  const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  const stubToken = issueToken('bench', new Date());
  const stub = await startAwsStub({
    [`token#${stubToken.record.tokenHash}`]: {
      pk: { S: `token#${stubToken.record.tokenHash}` },
      tokenId: { S: stubToken.record.tokenId },
      customerId: { S: 'bench' },
      tokenHash: { S: stubToken.record.tokenHash },
      status: { S: 'active' },
      createdAt: { S: stubToken.record.createdAt },
    },
  });
  try {
    const synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_VALIDATION: 'false' },
    });
    if (synth.status !== 0) throw new Error(`cdk synth failed: ${synth.stderr.slice(-1000)}`);
    const template = JSON.parse(readFileSync(join(out, 'SegmentLakeDestination.template.json'), 'utf8'));
    // Every function the synthesized stack has, with its own environment (references to other
    // resources become placeholder names): a function added to the stack is measured without a change here.
    const functions = Object.values(
      template.Resources as Record<
        string,
        {
          Type: string;
          Metadata: Record<string, string>;
          Properties: { Environment?: { Variables?: Record<string, unknown> } };
        }
      >,
    ).filter((r) => r.Type === 'AWS::Lambda::Function');
    const message = JSON.stringify({
      type: 'track',
      userId: 'u-1',
      event: 'sign_up',
      messageId: 'cold-1',
      timestamp: '2026-11-28T10:00:00.000Z',
    });
    const now = new Date();
    const get = (path: string, routeKey: string, pathParameters?: Record<string, string>) =>
      routeEvent(
        localRequest({
          method: 'GET',
          path,
          routeKey,
          headers: {},
          ...(pathParameters ? { pathParameters } : {}),
        }),
        'cold',
        now,
      );
    const events: Record<string, unknown> = {
      authorizer: authorizerEvent(
        localRequest({
          headers: { authorization: authorizationFor(stubToken.token) },
        }),
        'cold',
        now,
      ),
      ingest: integrationEvent(localRequest({ body: message }), 'cold', now, {
        customerId: 'bench',
        tokenId: 't',
        eventAliases: '{}',
      }),
      admin: get('/admin/customers/bench/tokens', 'GET /admin/customers/{customerId}/tokens', {
        customerId: 'bench',
      }),
      callback: get(ENABLE_CALLBACK_PATH, `GET ${ENABLE_CALLBACK_PATH}`),
    };
    // Values the functions with an event need to answer it against the stub (the template's are tokens).
    const known = {
      TOKENS_TABLE: 'tokens',
      DELIVERY: 'stream',
      STREAM_NAME: 'events',
      SEGMENT_SLUG: 'bench',
      ENABLE_REDIRECT_URL: `https://example.com${ENABLE_CALLBACK_PATH}`,
    };
    const env = {
      ...process.env,
      NODE_PATH: join(ROOT, 'node_modules'),
      AWS_ENDPOINT_URL: stub.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TOKENS_TABLE: 'tokens',
      DELIVERY: 'stream',
      STREAM_NAME: 'events',
      SEGMENT_SLUG: 'bench',
      ENABLE_REDIRECT_URL: `https://example.com${ENABLE_CALLBACK_PATH}`,
    };
    const rows: ColdStartRow[] = [];
    for (const fn of functions) {
      const path = fn.Metadata['aws:cdk:path']!;
      const name = path.split('/').slice(1, -2).join('/');
      const kind = Object.keys(events).find((key) => path.toLowerCase().includes(`/${key}/function`));
      const bundle = join(out, fn.Metadata['aws:asset:path']!, 'index.js');
      const eventFile = join(out, `${name.replace(/\//g, '-')}-event.json`);
      writeFileSync(eventFile, JSON.stringify(kind ? events[kind] : {}));
      const functionEnv = { ...env, ...placeholders(fn.Properties.Environment?.Variables ?? {}), ...known };
      const bundleKiB = Math.round((statSync(bundle).size / 1024) * 10) / 10;
      try {
        const samples = [];
        for (let i = 0; i < runs; i++) {
          // Spawned asynchronously: the AWS stub answers from this process, which a synchronous spawn would block.
          const args = [join(__dirname, 'cold-start-child.cjs'), bundle, eventFile, ...(kind ? [] : ['0'])];
          samples.push(JSON.parse(await runChild(args, functionEnv)));
        }
        rows.push({
          function: name,
          bundleKiB,
          loadMs: round(median(samples.map((s) => s.loadMs))),
          firstEventMs: kind ? round(median(samples.map((s) => s.firstEventMs))) : null,
          nodeStartMs: round(median(samples.map((s) => s.nodeStartMs))),
          status: kind ? samples[0].status : 'loaded',
          why: await breakdown(bundle, functionEnv, Math.min(runs, 3)),
        });
      } catch (error) {
        // One function that does not start is a row of the table, not the end of the run.
        const why = (error as Error).message.split('\n').find((l) => l.trim()) ?? 'failed';
        rows.push({
          function: name,
          bundleKiB,
          loadMs: 0,
          firstEventMs: null,
          nodeStartMs: 0,
          status: `failed: ${why.slice(0, 120)}`,
        });
      }
    }
    return rows;
  } finally {
    stub.server.close();
    rmSync(out, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Why a bundle is as large and as slow as it is: the AWS SDK packages it requires (loaded from the
 * runtime's node_modules, timed alone in fresh processes) and its largest bundled packages.
 */
async function breakdown(bundle: string, env: NodeJS.ProcessEnv, runs: number): Promise<ColdStartBreakdown> {
  const text = readFileSync(bundle, 'utf8');
  const sdkPackages = [
    ...new Set([...text.matchAll(/require\("((?:@aws-sdk|@smithy)\/[^"]+)"\)/g)].map((m) => m[1]!)),
  ].sort();
  const samples: number[] = [];
  if (sdkPackages.length > 0)
    for (let i = 0; i < runs; i++) {
      const script = `const t=performance.now();for(const p of ${JSON.stringify(sdkPackages)})require(p);process.stdout.write(String(performance.now()-t))`;
      samples.push(Number(await runChild(['-e', script], env)));
    }
  return {
    sdkPackages,
    sdkLoadMs: samples.length ? round(median(samples)) : 0,
    largest: bundledPackages(text, readIfThere(`${bundle}.map`)),
  };
}

/**
 * The packages a bundle holds, by their share of its bytes: the source map esbuild writes says which
 * source each stretch of the bundle came from (its `mappings`, decoded here; the map has no sources'
 * text to measure instead).
 *
 * @internal
 */
export function bundledPackages(bundleText: string, mapText: string): { name: string; share: number }[] {
  let map: { sources?: string[]; mappings?: string };
  try {
    map = JSON.parse(mapText);
  } catch {
    return [];
  }
  const sources = map.sources ?? [];
  const bytes = new Map<string, number>();
  const lines = bundleText.split('\n');
  let source = 0;
  (map.mappings ?? '').split(';').forEach((line, lineIndex) => {
    const lineLength = lines[lineIndex]?.length ?? 0;
    let column = 0;
    let owner: number | undefined;
    let start = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const fields = decodeVlq(segment);
      column += fields[0]!;
      if (owner !== undefined) add(owner, column - start);
      if (fields.length >= 4) {
        source += fields[1]!;
        owner = source;
      } else owner = undefined;
      start = column;
    }
    if (owner !== undefined) add(owner, lineLength - start);
  });
  function add(index: number, length: number) {
    const name = packageOf(sources[index] ?? '');
    bytes.set(name, (bytes.get(name) ?? 0) + Math.max(0, length));
  }
  const total = [...bytes.values()].reduce((sum, n) => sum + n, 0);
  return [...bytes]
    .map(([name, n]) => ({ name, share: total > 0 ? Math.round((n / total) * 1000) / 1000 : 0 }))
    .sort((a, b) => b.share - a.share);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The numbers of one source-map segment (base64 VLQ: 5 bits a digit, the 6th says more follow). */
function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * `node_modules/@scope/name/…` → `@scope/name`; our own files → `our code`.
 *
 * @internal
 */
export function packageOf(source: string): string {
  const at = source.lastIndexOf('node_modules/');
  if (at === -1) return 'our code';
  const parts = source.slice(at + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** A function's environment from the template: references to other resources become names a reader accepts. */
function placeholders(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([key, value]) => [
      key,
      typeof value === 'string'
        ? value
        : /URL$/.test(key)
          ? `https://bench.example/${key.toLowerCase()}`
          : `bench-${key.toLowerCase()}`,
    ]),
  );
}

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd: tmpdir() }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim().split('\n').pop()!),
    );
  });
}
