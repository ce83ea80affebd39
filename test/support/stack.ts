import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { synthOffline } from '../../lib/offline-synth';
import type { SegmentLakeStack } from '../../lib/segment-lake-stack';
import { ROOT } from './local-destination';

/**
 * The stack as `bin/app.ts` builds it, without Lambda bundling and template validation (a real
 * `cdk synth` in test/lib/segment-lake-stack/cdk-synth.test.ts covers both), so assertions stay fast.
 *
 * One synth per stack configuration for the whole suite: the template is kept on disk under
 * node_modules/.cache, keyed by the configuration and by the content of every source file and of
 * cdk.json and package-lock.json, so a change to any of them synthesizes anew. `stack` (the construct
 * tree, for cdk-nag and the tests that read construct properties) is synthesized only when asked for.
 */
export function synthStack(context: Record<string, unknown> = {}): {
  readonly stack: SegmentLakeStack;
  readonly template: Template;
} {
  let built: { stack: SegmentLakeStack; template: Template } | undefined;
  const build = () => {
    built ??= buildStack(context);
    return built;
  };
  // A configuration that synth refuses throws here, as it would from `cdk synth`.
  const template = cachedTemplate(context) ?? storeTemplate(context, build().template);
  return {
    get stack() {
      return build().stack;
    },
    template,
  };
}

function buildStack(context: Record<string, unknown>): { stack: SegmentLakeStack; template: Template } {
  const { stack } = synthOffline(context);
  return { stack, template: Template.fromStack(stack) };
}

const CACHE = join(ROOT, 'node_modules', '.cache', 'segment-lake-synth');
const SOURCES = ['bin', 'cli', 'lib', 'domain', 'adapters', 'lambdas', 'local'];
let sourceHash: string | undefined;

/** A hash of everything a synthesized template can depend on. */
function sourcesHash(): string {
  if (sourceHash) return sourceHash;
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  for (const folder of SOURCES) walk(join(ROOT, folder));
  for (const file of ['cdk.json', 'package-lock.json']) hash.update(readFileSync(join(ROOT, file)));
  sourceHash = hash.digest('hex');
  return sourceHash;
}

const cacheFile = (context: Record<string, unknown>) =>
  join(
    CACHE,
    `${createHash('sha256')
      .update(sourcesHash())
      .update(JSON.stringify(Object.entries(context).sort()))
      .digest('hex')
      .slice(0, 32)}.json`,
  );

function cachedTemplate(context: Record<string, unknown>): Template | undefined {
  try {
    return Template.fromJSON(JSON.parse(readFileSync(cacheFile(context), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Writes the template atomically (two workers may synthesize the same configuration at once). */
function storeTemplate(context: Record<string, unknown>, template: Template): Template {
  mkdirSync(CACHE, { recursive: true });
  const file = cacheFile(context);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(template.toJSON()));
  renameSync(temporary, file);
  return template;
}

/** Every IAM policy statement in a template, flattened. */
export function policyStatements(
  template: Template,
): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
